//! Finding and reaching the host being validated: the static host map, then the configured DNS
//! server (or the OS resolver), then a TCP connection to the first address that answers. Also
//! builds the DNS client the dns-01 TXT lookup uses, so both lookups honour `dns_resolver`.
use std::net::{IpAddr, SocketAddr};

use ca_core::acme::ProblemType;
use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::TokioResolver;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{within, ValidationConfig, ValidationFailure};

/// The addresses of `host` (a name, or an address literal used as is), IPv4 first.
pub(super) async fn addresses(
    config: &ValidationConfig,
    host: &str,
    deadline: Instant,
) -> Result<Vec<IpAddr>, ValidationFailure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let host = host.to_ascii_lowercase();
    let found: Vec<IpAddr> = if let Some(ips) = config.hosts.get(&host) {
        ips.clone()
    } else if let Some(server) = config.dns_resolver {
        let resolver = dns_client(config)?;
        let what = format!("resolving {host} at {server}");
        // The trailing dot makes the name absolute: no search domains are tried.
        let lookup = within(
            deadline,
            ProblemType::Dns,
            &what,
            resolver.lookup_ip(format!("{host}.")),
        )
        .await?;
        lookup.map_err(|e| dns_failure(&what, &e))?.iter().collect()
    } else {
        // The OS resolver, so /etc/hosts and nsswitch apply as for any other program.
        let what = format!("resolving {host}");
        let lookup = within(
            deadline,
            ProblemType::Dns,
            &what,
            tokio::net::lookup_host((host.as_str(), 0)),
        )
        .await?;
        lookup
            .map_err(|e| ValidationFailure::new(ProblemType::Dns, format!("{what}: {e}")))?
            .map(|sa| sa.ip())
            .collect()
    };
    let mut ips: Vec<IpAddr> = Vec::with_capacity(found.len());
    for ip in found
        .iter()
        .filter(|ip| ip.is_ipv4())
        .chain(found.iter().filter(|ip| ip.is_ipv6()))
    {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    if ips.is_empty() {
        return Err(ValidationFailure::new(
            ProblemType::Dns,
            format!("{host} has no A or AAAA records"),
        ));
    }
    Ok(ips)
}

/// A TCP connection to the first of `ips` that accepts on `port`, and the address it went to.
/// Each address gets what is left of the attempt, so a refused address falls through to the
/// next at once.
pub(super) async fn connect(
    ips: &[IpAddr],
    port: u16,
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), ValidationFailure> {
    let mut errors = Vec::new();
    for ip in ips {
        let addr = SocketAddr::new(*ip, port);
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok((stream, addr)),
            Ok(Err(e)) => errors.push(format!("connecting to {addr}: {e}")),
            Err(_) => {
                errors.push(format!("timed out connecting to {addr}"));
                break;
            }
        }
    }
    Err(ValidationFailure::new(ProblemType::Connection, errors.join("; ")))
}

/// A fresh, cache-free DNS client: the configured server over UDP (TCP on truncation), or the
/// servers of /etc/resolv.conf. Built per lookup so a record the client just published is
/// never hidden by an answer cached from an earlier attempt.
pub(super) fn dns_client(config: &ValidationConfig) -> Result<TokioResolver, ValidationFailure> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = match config.dns_resolver {
        Some(server) => {
            let mut ns = NameServerConfig::udp_and_tcp(server.ip());
            for conn in &mut ns.connections {
                conn.port = server.port();
            }
            TokioResolver::builder_with_config(ResolverConfig::from_name_servers(vec![ns]), provider)
        }
        None => TokioResolver::builder(provider).map_err(|e| {
            ValidationFailure::new(
                ProblemType::Dns,
                format!("cannot read the system DNS configuration: {e}"),
            )
        })?,
    };
    let opts = builder.options_mut();
    opts.timeout = config.timeout;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    builder
        .build()
        .map_err(|e| ValidationFailure::new(ProblemType::Dns, format!("cannot set up the DNS client: {e}")))
}

/// A DNS lookup error as a `dns` problem, saying plainly when the name does not exist.
pub(super) fn dns_failure(what: &str, err: &NetError) -> ValidationFailure {
    let detail = if err.is_nx_domain() {
        format!("{what}: the name does not exist (NXDOMAIN)")
    } else if err.is_no_records_found() {
        format!("{what}: no records found")
    } else {
        format!("{what}: {err}")
    };
    ValidationFailure::new(ProblemType::Dns, detail)
}

/// Where lookups go, for failure details.
pub(super) fn dns_server_name(config: &ValidationConfig) -> String {
    match config.dns_resolver {
        Some(server) => server.to_string(),
        None => "the system resolver".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(2)
    }

    #[tokio::test]
    async fn host_map_comes_first_and_ipv4_leads() {
        let mut config = ValidationConfig::default();
        let v6: IpAddr = "::1".parse().unwrap();
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        config.hosts.insert("www.privca.test".into(), vec![v6, v4, v4]);
        let ips = addresses(&config, "WWW.privca.test", deadline()).await.unwrap();
        assert_eq!(ips, vec![v4, v6]);
        assert_eq!(addresses(&config, "::1", deadline()).await.unwrap(), vec![v6]);
    }

    #[tokio::test]
    async fn os_resolver_reads_etc_hosts() {
        let ips = addresses(&ValidationConfig::default(), "localhost", deadline())
            .await
            .unwrap();
        assert!(ips.iter().all(|ip| ip.is_loopback()), "{ips:?}");
    }

    #[tokio::test]
    async fn refused_connections_name_every_address() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let ips: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        let err = connect(&ips, port, deadline()).await.unwrap_err();
        assert_eq!(err.problem, ProblemType::Connection);
        assert!(err.detail.contains(&format!("127.0.0.1:{port}")), "{}", err.detail);
    }
}
