"""ACME request JWS made by an independent JOSE implementation (jwcrypto), for
ca-core/tests/acme_interop.rs to verify. Prints one JSON document on stdout.

Exits 3 with a message on stderr when jwcrypto is missing: `pip install jwcrypto`.
"""
import json
import sys

try:
    from jwcrypto import jwk, jws
    from jwcrypto.common import base64url_encode, json_encode
except ImportError as e:  # the Rust test turns this into a clear failure
    print(f"jwcrypto is not importable ({e}); install it with: pip install jwcrypto", file=sys.stderr)
    sys.exit(3)

URL = "https://ca.example/acme/default/new-account"
EAB_URL = URL


def sign(key, alg, header_extra, payload):
    header = {"alg": alg, "url": URL, **header_extra}
    s = jws.JWS(payload)
    s.add_signature(key, alg=None, protected=json_encode(header))
    return json.loads(s.serialize(compact=False))


def account_requests():
    out = []
    specs = [
        ("RS256", dict(kty="RSA", size=2048)),
        ("ES256", dict(kty="EC", crv="P-256")),
        ("ES384", dict(kty="EC", crv="P-384")),
        ("EdDSA", dict(kty="OKP", crv="Ed25519")),
    ]
    for alg, params in specs:
        key = jwk.JWK.generate(**params)
        public = key.export_public(as_dict=True)
        payload = json.dumps({"termsOfServiceAgreed": True, "contact": ["mailto:admin@example.com"]})
        out.append({
            "alg": alg,
            "jwk": public,
            "thumbprint": key.thumbprint(),
            "jwk_request": sign(key, alg, {"nonce": "bm9uY2UtMQ", "jwk": public}, payload),
            "kid_post_as_get": sign(key, alg, {"nonce": "bm9uY2UtMg", "kid": "https://ca.example/acme/default/acct/7"}, ""),
        })
    return out


def eab_bindings():
    account = jwk.JWK.generate(kty="EC", crv="P-256").export_public(as_dict=True)
    out = []
    for alg in ["HS256", "HS384", "HS512"]:
        mac = jwk.JWK.generate(kty="oct", size=512)
        s = jws.JWS(json.dumps(account))
        s.add_signature(mac, alg=None, protected=json_encode({"alg": alg, "kid": "eab-" + alg, "url": EAB_URL}))
        out.append({
            "alg": alg,
            "mac_key": mac.export(as_dict=True)["k"],
            "account_jwk": account,
            "binding": json.loads(s.serialize(compact=False)),
        })
    return out


print(json.dumps({"requests": account_requests(), "eab": eab_bindings()}))
