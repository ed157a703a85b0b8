//! http-01 (RFC 8555 8.3): `GET http://<identifier>:<http01_port>/.well-known/acme-challenge/<token>`
//! must answer 2xx with the key authorization (trailing whitespace ignored).
//!
//! Redirects (3xx with Location) are followed, at most [`MAX_REDIRECTS`], to any host, as
//! RFC 8555 8.3 allows so that a central service can answer for many names; but only to
//! `http` on port 80 or `http01_port` and `https` on port 443 or `tls_alpn01_port`, so a
//! challenge cannot make the CA probe arbitrary ports. https targets are fetched over TLS with
//! any certificate accepted (see [`super::tls_alpn01`]). Each hop connects to an address we
//! resolved ourselves (host map, DNS server, OS) and sends the URL's host in `Host`.
use std::fmt;
use std::net::IpAddr;

use ca_core::acme::challenge::{check_http01_body, http01_path};
use ca_core::acme::{Identifier, ProblemType};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, HOST, LOCATION, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::tls_alpn01::{self, ClientConfigs};
use super::{resolve, within, ValidationConfig, ValidationFailure};

/// Redirects followed before giving up (Boulder's limit too).
pub const MAX_REDIRECTS: usize = 10;
/// The most of a response body that is read; a key authorization is under 100 bytes.
pub const MAX_BODY: usize = 64 * 1024;
const AGENT: &str = concat!("privca-acme-validator/", env!("CARGO_PKG_VERSION"));

/// One http-01 attempt.
pub(super) async fn validate(
    config: &ValidationConfig,
    tls: &ClientConfigs,
    identifier: &Identifier,
    token: &str,
    key_authorization: &str,
    deadline: Instant,
) -> Result<(), ValidationFailure> {
    let mut target = Target {
        https: false,
        host: identifier.value(),
        port: config.http01_port,
        path: http01_path(token),
    };
    let mut redirects = 0;
    loop {
        let (what, response) = fetch(config, tls, &target, deadline).await?;
        match response {
            Answer::Redirect(location) if redirects < MAX_REDIRECTS => {
                target = target.follow(&location, config).map_err(|reason| {
                    ValidationFailure::new(
                        ProblemType::IncorrectResponse,
                        format!("{what}: not following the redirect to {location:?}: {reason}"),
                    )
                })?;
                redirects += 1;
            }
            Answer::Redirect(location) => {
                return Err(ValidationFailure::new(
                    ProblemType::IncorrectResponse,
                    format!("{what}: more than {MAX_REDIRECTS} redirects (the last to {location:?})"),
                ))
            }
            Answer::Body(status, _) if !status.is_success() => {
                return Err(ValidationFailure::new(
                    ProblemType::IncorrectResponse,
                    format!("{what}: the server answered {status}"),
                ))
            }
            Answer::Body(_, body) => {
                return check_http01_body(&body, key_authorization).map_err(|e| ValidationFailure::rejected(e, &what))
            }
        }
    }
}

/// A URL being fetched, already split into what the connection and request need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    https: bool,
    /// A lowercase name or an address, without IPv6 brackets.
    host: String,
    port: u16,
    /// Path and query, starting with `/`.
    path: String,
}

impl Target {
    fn default_port(&self) -> u16 {
        if self.https {
            443
        } else {
            80
        }
    }

    /// The `Host` header: the host (IPv6 in brackets), with the port unless it is the default.
    fn authority(&self) -> String {
        let host = match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => self.host.clone(),
        };
        if self.port == self.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The target a `Location` header points to, if it is one we follow.
    fn follow(&self, location: &str, config: &ValidationConfig) -> Result<Target, String> {
        let location = location.split('#').next().unwrap_or_default().trim();
        let scheme = if self.https { "https" } else { "http" };
        let absolute = if location.starts_with("//") {
            format!("{scheme}:{location}")
        } else if location.starts_with('/') {
            format!("{scheme}://{}{location}", self.authority())
        } else if location.contains("://") {
            location.to_string()
        } else {
            // A relative path: resolved against the current path's directory.
            let dir = &self.path[..self.path.rfind('/').map_or(0, |i| i + 1)];
            format!("{scheme}://{}{dir}{location}", self.authority())
        };
        let uri: Uri = absolute.parse().map_err(|e| format!("it is not a valid URL: {e}"))?;
        let https = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => false,
            Some("https") => true,
            other => return Err(format!("the scheme {other:?} is not http or https")),
        };
        let host = uri.host().ok_or("it has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let (default, configured) = if https {
            (443, config.tls_alpn01_port)
        } else {
            (80, config.http01_port)
        };
        let port = uri.port_u16().unwrap_or(default);
        if port != default && port != configured {
            return Err(format!("port {port} is neither {default} nor {configured}"));
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        Ok(Target {
            https,
            host,
            port,
            path,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority(), self.path)
    }
}

/// What a GET returned.
enum Answer {
    Redirect(String),
    Body(StatusCode, Vec<u8>),
}

/// Resolves, connects and GETs `target`; also returns "GET <url> at <address>" for details.
async fn fetch(
    config: &ValidationConfig,
    tls: &ClientConfigs,
    target: &Target,
    deadline: Instant,
) -> Result<(String, Answer), ValidationFailure> {
    let ips = resolve::addresses(config, &target.host, deadline).await?;
    let (stream, peer) = resolve::connect(&ips, target.port, deadline).await?;
    let what = format!("GET {target} at {peer}");
    let answer = if target.https {
        let name = ServerName::try_from(target.host.clone()).map_err(|e| {
            ValidationFailure::new(ProblemType::IncorrectResponse, format!("{what}: bad host name: {e}"))
        })?;
        let stream = tls_alpn01::handshake(tls.https.clone(), stream, name, &what, deadline).await?;
        get(stream, target, &what, deadline).await?
    } else {
        get(stream, target, &what, deadline).await?
    };
    Ok((what, answer))
}

/// Aborts the task driving a client connection once the exchange is over, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One HTTP/1.1 GET over `io`, reading at most [`MAX_BODY`] of the body.
async fn get<S>(io: S, target: &Target, what: &str, deadline: Instant) -> Result<Answer, ValidationFailure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let failed = |e: hyper::Error| ValidationFailure::new(ProblemType::Connection, format!("{what}: {e}"));
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(failed)?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let request = Request::get(target.path.as_str())
        .header(HOST, target.authority())
        .header(USER_AGENT, AGENT)
        .header(ACCEPT, "*/*")
        .body(Empty::<Bytes>::new())
        .map_err(|e| ValidationFailure::new(ProblemType::IncorrectResponse, format!("{what}: bad request: {e}")))?;
    let response = within(deadline, ProblemType::Connection, what, sender.send_request(request))
        .await?
        .map_err(failed)?;
    let status = response.status();
    if status.is_redirection() {
        if let Some(location) = response.headers().get(LOCATION) {
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            return Ok(Answer::Redirect(location));
        }
    }
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let reading = format!("reading the body of {what}");
    while let Some(frame) = within(deadline, ProblemType::Connection, &reading, body.frame()).await? {
        let frame = frame.map_err(|e| ValidationFailure::new(ProblemType::Connection, format!("{reading}: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_BODY {
                return Err(ValidationFailure::new(
                    ProblemType::IncorrectResponse,
                    format!("{what}: the body is larger than {MAX_BODY} bytes"),
                ));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Answer::Body(status, bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use ca_core::acme::challenge::ChallengeType;
    use http_body_util::Full;
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use hyper::Response;
    use tokio::net::TcpListener;

    use super::super::Validator;
    use super::*;

    const TOKEN: &str = "tok";
    const KEY_AUTH: &str = "tok.thumb";

    /// An HTTP/1.1 server on a free port: `route` maps (Host header, path) to status, headers
    /// and body. The listener is bound before the task starts, so no readiness wait is needed.
    async fn http_server<F>(route: F) -> SocketAddr
    where
        F: Fn(&str, &str) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let route = Arc::new(route);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let route = route.clone();
                let service = service_fn(move |req: Request<Incoming>| {
                    let host = req.headers().get(HOST).map(|h| h.to_str().unwrap().to_string());
                    let (status, headers, body) = route(host.as_deref().unwrap_or(""), req.uri().path());
                    let mut response = Response::builder().status(status);
                    for (name, value) in headers {
                        response = response.header(name, value);
                    }
                    async move { response.body(Full::new(Bytes::from(body))) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        addr
    }

    /// Serves the key authorization for `www.privca.test` at the challenge path.
    fn challenge_route(host: &str, path: &str) -> (u16, Vec<(&'static str, String)>, String) {
        if host.starts_with("www.privca.test") && path == http01_path(TOKEN) {
            (200, vec![], format!("{KEY_AUTH}\n"))
        } else {
            (404, vec![], "not here".into())
        }
    }

    fn validator(port: u16) -> Validator {
        Validator::new(ValidationConfig {
            http01_port: port,
            hosts: BTreeMap::from([("www.privca.test".to_string(), vec![IpAddr::from([127, 0, 0, 1])])]),
            timeout: Duration::from_secs(2),
            attempts: 1,
            ..ValidationConfig::default()
        })
    }

    fn www() -> Identifier {
        Identifier::parse("dns", "www.privca.test").unwrap()
    }

    #[tokio::test]
    async fn key_authorization_served_through_the_host_map() {
        let addr = http_server(challenge_route).await;
        validator(addr.port())
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn ip_identifier_is_fetched_directly() {
        // The Host header is the address, with the non-default port.
        let addr = http_server(|host, _| match host.strip_prefix("127.0.0.1:") {
            Some(_) => (200, vec![], KEY_AUTH.to_string()),
            None => (404, vec![], String::new()),
        })
        .await;
        let ip = Identifier::parse("ip", "127.0.0.1").unwrap();
        validator(addr.port())
            .validate(ChallengeType::Http01, &ip, TOKEN, KEY_AUTH)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn wrong_body_is_incorrect() {
        let addr = http_server(|_, _| (200, vec![], "tok.someone-else".into())).await;
        let err = validator(addr.port())
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
        assert!(err.detail.contains("tok.someone-else"), "{err}");
        assert!(err.detail.contains(&addr.to_string()), "{err}");
    }

    #[tokio::test]
    async fn not_found_is_incorrect() {
        let addr = http_server(|_, _| (404, vec![], String::new())).await;
        let err = validator(addr.port())
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
        assert!(err.detail.contains("404"), "{err}");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connection_failure() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = validator(port)
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Connection, "{err}");
        assert!(err.detail.contains(&format!("127.0.0.1:{port}")), "{err}");
    }

    #[tokio::test]
    async fn unknown_name_is_a_dns_failure() {
        let err = validator(80)
            .validate(
                ChallengeType::Http01,
                &Identifier::parse("dns", "nowhere.invalid").unwrap(),
                TOKEN,
                KEY_AUTH,
            )
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Dns, "{err}");
    }

    #[tokio::test]
    async fn redirects_are_followed() {
        // start -> /a -> b (relative) -> absolute URL with the Host we sent -> the challenge.
        let addr = http_server(|host, path| {
            let to = |location: String| (302, vec![("location", location)], String::new());
            match path {
                "/a" => to("b".into()),
                "/b" => to(format!("http://{host}{}", http01_path(TOKEN))),
                _ if path == http01_path(TOKEN) => challenge_route(host, path),
                _ => to("/a".into()),
            }
        })
        .await;
        validator(addr.port())
            .validate(ChallengeType::Http01, &www(), "start", KEY_AUTH)
            .await
            .unwrap();
    }

    /// An HTTPS server on a free port answering every GET with `body`, under any certificate.
    async fn https_server(body: &'static str) -> SocketAddr {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["central.privca.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let Ok(tls) = acceptor.accept(stream).await else {
                    continue;
                };
                let service = service_fn(move |_: Request<Incoming>| async move {
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(body))))
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service));
            }
        });
        addr
    }

    #[tokio::test]
    async fn redirect_to_https_on_another_host() {
        let tls = https_server(KEY_AUTH).await;
        let location = format!("https://central.privca.test:{}/answers/{TOKEN}", tls.port());
        let http = http_server(move |_, _| (302, vec![("location", location.clone())], String::new())).await;
        let mut config = (*validator(http.port()).config).clone();
        config.tls_alpn01_port = tls.port();
        config
            .hosts
            .insert("central.privca.test".into(), vec![IpAddr::from([127, 0, 0, 1])]);
        Validator::new(config)
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn redirect_loops_and_other_ports_are_not_followed() {
        let addr = http_server(|_, _| (302, vec![("location", "/again".to_string())], String::new())).await;
        let err = validator(addr.port())
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
        assert!(err.detail.contains("more than 10 redirects"), "{err}");

        let addr = http_server(|_, _| {
            (
                302,
                vec![("location", "http://www.privca.test:8/".to_string())],
                String::new(),
            )
        })
        .await;
        let err = validator(addr.port())
            .validate(ChallengeType::Http01, &www(), TOKEN, KEY_AUTH)
            .await
            .unwrap_err();
        assert!(err.detail.contains("port 8 is neither"), "{err}");
    }

    #[test]
    fn redirect_targets() {
        let config = ValidationConfig {
            http01_port: 5002,
            tls_alpn01_port: 5001,
            ..ValidationConfig::default()
        };
        let here = Target {
            https: false,
            host: "www.privca.test".into(),
            port: 5002,
            path: "/.well-known/acme-challenge/tok".into(),
        };
        let go = |loc: &str| here.follow(loc, &config);
        assert_eq!(
            go("other").unwrap().to_string(),
            "http://www.privca.test:5002/.well-known/acme-challenge/other"
        );
        assert_eq!(
            go("/x?y=1#frag").unwrap().to_string(),
            "http://www.privca.test:5002/x?y=1"
        );
        assert_eq!(go("//[::1]/z").unwrap().to_string(), "http://[::1]/z");
        let https = go("HTTPS://Central.Example:5001/t").unwrap();
        assert_eq!(
            (https.https, https.host.as_str(), https.port),
            (true, "central.example", 5001)
        );
        assert_eq!(go("https://central.example/t").unwrap().port, 443);
        assert!(go("https://central.example:5002/t").is_err());
        assert!(go("ftp://central.example/t").is_err());
    }
}
