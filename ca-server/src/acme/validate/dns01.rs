//! dns-01 (RFC 8555 8.4): the TXT records at `_acme-challenge.<name>` must include
//! base64url(SHA-256(key authorization)). Looked up at `dns_resolver` if set, else at the
//! servers of /etc/resolv.conf; never from a cache.
use ca_core::acme::challenge::{check_dns01_records, dns01_record_name};
use ca_core::acme::{Identifier, ProblemType};
use hickory_resolver::proto::rr::RData;
use tokio::time::Instant;

use super::resolve::{dns_client, dns_failure, dns_server_name};
use super::{within, ValidationConfig, ValidationFailure};

/// One dns-01 attempt.
pub(super) async fn validate(
    config: &ValidationConfig,
    identifier: &Identifier,
    key_authorization: &str,
    deadline: Instant,
) -> Result<(), ValidationFailure> {
    let name = dns01_record_name(identifier).map_err(|e| ValidationFailure::rejected(e, "dns-01"))?;
    let what = format!("looking up TXT {name} at {}", dns_server_name(config));
    let resolver = dns_client(config)?;
    // Absolute name: search domains from resolv.conf must not turn it into another name.
    let lookup = within(
        deadline,
        ProblemType::Dns,
        &what,
        resolver.txt_lookup(format!("{name}.")),
    )
    .await?;
    let lookup = lookup.map_err(|e| dns_failure(&what, &e))?;
    // A record's character-strings form one value (long values are split at 255 bytes);
    // CNAMEs followed on the way are skipped.
    let records: Vec<String> = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::TXT(txt) => Some(txt.txt_data.iter().map(|s| String::from_utf8_lossy(s)).collect()),
            _ => None,
        })
        .collect();
    if records.is_empty() {
        return Err(ValidationFailure::new(
            ProblemType::Dns,
            format!("{what}: no TXT records found"),
        ));
    }
    check_dns01_records(records.iter().map(String::as_str), key_authorization)
        .map_err(|e| ValidationFailure::rejected(e, &format!("TXT {name} at {}", dns_server_name(config))))
}

#[cfg(test)]
mod tests {
    //! A one-zone DNS server on a free UDP port answers the TXT queries.
    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::time::Duration;

    use ca_core::acme::challenge::{dns01_txt_value, ChallengeType};
    use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
    use hickory_resolver::proto::rr::rdata::TXT;
    use hickory_resolver::proto::rr::Record;
    use tokio::net::UdpSocket;

    use super::super::{ValidationConfig, Validator};
    use super::*;

    /// Serves `zone` (absolute lowercase name -> TXT values); other names are NXDOMAIN.
    async fn dns_server(zone: BTreeMap<String, Vec<String>>) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut answer = Message::response(query.metadata.id, OpCode::Query);
                answer.metadata.recursion_desired = query.metadata.recursion_desired;
                answer.metadata.recursion_available = true;
                answer.add_queries(query.queries.clone());
                let name = query.queries[0].name().clone();
                match zone.get(&name.to_ascii().to_ascii_lowercase()) {
                    Some(values) => {
                        for v in values {
                            answer.add_answer(Record::from_rdata(
                                name.clone(),
                                0,
                                RData::TXT(TXT::new(vec![v.clone()])),
                            ));
                        }
                    }
                    None => answer.metadata.response_code = ResponseCode::NXDomain,
                }
                let _ = socket.send_to(&answer.to_vec().unwrap(), peer).await;
            }
        });
        addr
    }

    fn validator(server: SocketAddr) -> Validator {
        Validator::new(ValidationConfig {
            dns_resolver: Some(server),
            timeout: Duration::from_secs(2),
            attempts: 1,
            ..ValidationConfig::default()
        })
    }

    #[tokio::test]
    async fn txt_records() {
        let key_auth = "tok.thumb";
        let zone = BTreeMap::from([
            (
                "_acme-challenge.www.privca.test.".to_string(),
                vec!["unrelated".to_string(), dns01_txt_value(key_auth)],
            ),
            (
                "_acme-challenge.wrong.privca.test.".to_string(),
                vec![dns01_txt_value("tok.other")],
            ),
        ]);
        let v = validator(dns_server(zone).await);
        let id = |name: &str| Identifier::parse("dns", name).unwrap();

        v.validate(ChallengeType::Dns01, &id("www.privca.test"), "tok", key_auth)
            .await
            .unwrap();
        // A wildcard is proved at its base name.
        v.validate(ChallengeType::Dns01, &id("*.www.privca.test"), "tok", key_auth)
            .await
            .unwrap();

        let err = v
            .validate(ChallengeType::Dns01, &id("wrong.privca.test"), "tok", key_auth)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::IncorrectResponse, "{err}");
        assert!(err.detail.contains("_acme-challenge.wrong.privca.test"), "{err}");

        let err = v
            .validate(ChallengeType::Dns01, &id("missing.privca.test"), "tok", key_auth)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Dns, "{err}");
        assert!(err.detail.contains("NXDOMAIN"), "{err}");
    }

    #[tokio::test]
    async fn addresses_come_from_the_configured_server() {
        // The server knows no A records: the lookup is asked of it, and fails as dns.
        let server = dns_server(BTreeMap::new()).await;
        let v = validator(server);
        let deadline = Instant::now() + Duration::from_secs(2);
        let err = super::super::resolve::addresses(&v.config, "www.privca.test", deadline)
            .await
            .unwrap_err();
        assert_eq!(err.problem, ProblemType::Dns, "{err}");
        assert!(err.detail.contains(&server.to_string()), "{err}");
    }
}
