//! ACME order-flow load generator of issue 6, driven by `scripts/bench/acme` (which starts
//! `ca-server` with an always-valid `[acme.bench]` endpoint and Pebble with
//! `PEBBLE_VA_ALWAYS_VALID=1`, runs this against both and prints the comparison). Not a test:
//! it measures, and fails only when an order does not end in a downloaded certificate.
//!
//! ```text
//! cargo bench -p ca-server --bench acme_load -- once --target privca|pebble --directory URL \
//!     --ca-cert ROOT.pem --out CHAIN.pem
//! cargo bench -p ca-server --bench acme_load -- run --target privca|pebble --directory URL \
//!     --ca-cert ROOT.pem --concurrency N [--seconds 10] [--warmup 2] [--orders 30000] \
//!     [--threads 1]
//! ```
//!
//! The client is instant-acme (RFC 8555), the same for both servers, over a transport of our
//! own: ONE keep-alive HTTP/1.1 connection per client (rustls with aws-lc-rs, trusting only
//! `--ca-cert`), so connection set-up is not measured and both servers see the same traffic.
//!
//! `run` first, untimed: builds `--orders` P-256 CSRs, each for its own DNS name
//! (`oN-c<concurrency>-<run tag>.acme-bench.example` as CN and SAN, signed by a pool of 32
//! keys), and creates one account per client (`--concurrency` accounts, each with its own
//! ES256 key). Then each client places orders one after another until the window closes:
//! newOrder (one DNS identifier, unique per order; instant-acme first fetches a nonce with
//! HEAD newNonce) -> POST-as-GET the authorization -> answer its http-01 challenge
//! (`set_ready`; both servers treat every answered challenge as valid) -> poll the order until
//! `ready` -> finalize with the next pre-built CSR -> poll until `valid` -> download the
//! certificate chain. Polling is immediate, then after 1 ms, 2 ms, 4 ms, ... (at most 50 ms); a
//! `Retry-After` is not waited for, only counted (see the note at [`POLL_FIRST`]). A CSR list
//! that runs out is extended on the fly (counted as `late`).
//!
//! Orders completing during `--warmup` are not counted; then for `--seconds` every completed
//! order is counted and its latency (newOrder sent to chain read) recorded, with the time of
//! each step. The result is one `RESULT key=value ...` line for the script.
//!
//! The client runs on a current-thread Tokio runtime by default (`--threads 1`): it shares the
//! machine with the server under test, and the same client costs the same for both.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use bytes::Bytes;
use ca_core::csr::San;
use ca_core::csrbuild::build_csr;
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use instant_acme::{
    Account, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType, HttpClient, Identifier, NewAccount,
    NewOrder, Order, OrderStatus,
};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

mod common;

use common::{ms, pct, tls_config, BoxError, Opts};

/// Keys signing the CSRs (as enroll_load: the key pool is not what is measured).
const CSR_KEYS: usize = 32;
/// First pause between two polls of an order that has not reached the awaited state (the
/// first poll is immediate); doubled after each poll up to [`POLL_MAX`]. Both servers get
/// the same policy. privca answers a `Retry-After: 3` only for an order waiting for manual
/// approval, which this flow (approval = "auto") never produces.
const POLL_FIRST: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(50);
/// An order that is not ready or valid after this long fails the run.
const POLL_TIMEOUT: Duration = Duration::from_secs(30);

/// A request not answered (headers) within this long fails the run with "no answer within"
/// (the script's sign of a server that stopped answering: Pebble 2.4.0 can deadlock).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The timed steps of one order, in flow order.
const STEPS: [&str; 6] = ["newOrder", "authz", "challenge", "ready", "finalize", "cert"];

fn usage() -> ! {
    eprintln!(
        "usage: acme_load once --target privca|pebble --directory URL --ca-cert ROOT.pem --out CHAIN.pem\n       \
         acme_load run --target privca|pebble --directory URL --ca-cert ROOT.pem --concurrency N \
         [--seconds S] [--warmup S] [--orders N] [--threads T]"
    );
    std::process::exit(2)
}

fn main() -> Result<(), BoxError> {
    let (verb, opts) = Opts::command_line(usage)?;
    match verb.as_str() {
        "once" => once(&opts),
        "run" => run(&opts),
        _ => usage(),
    }
}

impl Opts {
    /// The label of the server under test (only printed).
    fn target(&self) -> Result<&str, BoxError> {
        match self.req("target")? {
            t @ ("privca" | "pebble") => Ok(t),
            t => Err(format!("unknown --target {t:?} (privca or pebble)").into()),
        }
    }
}

/// The server's directory and how to reach it.
#[derive(Clone)]
struct Server {
    directory: String,
    tls: Arc<rustls::ClientConfig>,
}

impl Server {
    fn from_opts(o: &Opts) -> Result<Server, BoxError> {
        Ok(Server {
            directory: o.req("directory")?.to_string(),
            tls: tls_config(Path::new(o.req("ca-cert")?))?,
        })
    }

    /// A new client: its own connection and its own account (created now).
    async fn client(&self) -> Result<Client, BoxError> {
        let conn = Arc::new(Conn::new(&self.directory, Arc::clone(&self.tls))?);
        let (account, _) = Account::builder_with_http(Box::new(Transport(Arc::clone(&conn))))
            .create(
                &NewAccount {
                    contact: &[],
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.directory.clone(),
                None,
            )
            .await
            .map_err(|e| format!("creating an account at {}: {e}", self.directory))?;
        Ok(Client { account, conn })
    }
}

/// One client: an ACME account and the connection it talks over.
struct Client {
    account: Account,
    conn: Arc<Conn>,
}

/// One finished order.
struct Sample {
    done: Instant,
    latency: Duration,
    steps: [Duration; STEPS.len()],
    requests: u64,
    polls: u32,
}

impl Client {
    /// The whole flow for one order of `name` finalized with `csr` (DER); the chain (PEM).
    async fn order(&self, name: &str, csr: &[u8]) -> Result<(Sample, String), BoxError> {
        let requests0 = self.conn.requests.load(Ordering::Relaxed);
        let mut steps = [Duration::ZERO; STEPS.len()];
        let mut polls = 0;
        let start = Instant::now();
        let mut lap = start;
        let mut step = |i: usize| {
            let now = Instant::now();
            steps[i] = now - lap;
            lap = now;
        };

        let ids = [Identifier::Dns(name.to_string())];
        let mut order = self
            .account
            .new_order(&NewOrder::new(&ids))
            .await
            .map_err(|e| format!("newOrder {name}: {e}"))?;
        step(0);
        {
            let mut authzs = order.authorizations();
            let mut n = 0;
            while let Some(authz) = authzs.next().await {
                let mut authz = authz.map_err(|e| format!("authorization of {name}: {e}"))?;
                n += 1;
                step(1);
                match authz.status {
                    AuthorizationStatus::Valid => {}
                    AuthorizationStatus::Pending => {
                        let mut challenge = authz
                            .challenge(ChallengeType::Http01)
                            .ok_or_else(|| format!("no http-01 challenge for {name}"))?;
                        challenge
                            .set_ready()
                            .await
                            .map_err(|e| format!("answering the http-01 challenge of {name}: {e}"))?;
                    }
                    other => return Err(format!("authorization of {name} is {other:?}").into()),
                }
                step(2);
            }
            if n != 1 {
                return Err(format!("order of {name} has {n} authorizations, not 1").into());
            }
        }
        poll(&mut order, OrderStatus::Ready, &mut polls)
            .await
            .map_err(|e| format!("order of {name} becoming ready: {e}"))?;
        step(3);
        order
            .finalize_csr(csr)
            .await
            .map_err(|e| format!("finalizing {name}: {e}"))?;
        step(4);
        let deadline = Instant::now() + POLL_TIMEOUT;
        let mut pause = POLL_FIRST;
        let chain = loop {
            // Refreshes a processing order, then downloads once it is valid.
            match order
                .certificate()
                .await
                .map_err(|e| format!("certificate of {name}: {e}"))?
            {
                Some(pem) => break pem,
                None if Instant::now() < deadline => {
                    polls += 1;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(POLL_MAX);
                }
                None => return Err(format!("order of {name} still processing after {POLL_TIMEOUT:?}").into()),
            }
        };
        step(5);
        let done = Instant::now();
        if chain.matches("BEGIN CERTIFICATE").count() < 1 {
            return Err(format!("the certificate of {name} is not PEM: {chain:.200}").into());
        }
        let sample = Sample {
            done,
            latency: done - start,
            steps,
            requests: self.conn.requests.load(Ordering::Relaxed) - requests0,
            polls,
        };
        Ok((sample, chain))
    }
}

/// Refreshes `order` until it has `want`: at once, then with growing pauses.
async fn poll(order: &mut Order, want: OrderStatus, polls: &mut u32) -> Result<(), BoxError> {
    let deadline = Instant::now() + POLL_TIMEOUT;
    let mut pause = POLL_FIRST;
    loop {
        let state = order.refresh().await?;
        if state.status == want {
            return Ok(());
        }
        if let Some(err) = &state.error {
            return Err(format!("order failed: {err}").into());
        }
        if matches!(state.status, OrderStatus::Invalid | OrderStatus::Valid) || Instant::now() >= deadline {
            return Err(format!("order is {:?}, waiting for {want:?}", state.status).into());
        }
        *polls += 1;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// `once`: one order by a fresh account; the chain goes to `--out` (the script's smoke test).
fn once(o: &Opts) -> Result<(), BoxError> {
    let target = o.target()?;
    let server = Server::from_opts(o)?;
    let out = o.req("out")?.to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let tag = run_tag()?;
    let name = format!("smoke-{tag}.acme-bench.example");
    let csr = Csrs::new(0, "smoke", 1)?.make(0, &name)?;
    let (sample, chain) = rt.block_on(async {
        let client = server.client().await?;
        client.order(&name, &csr).await
    })?;
    std::fs::write(&out, &chain).map_err(|e| format!("{out}: {e}"))?;
    println!(
        "   {target:<6} one order for {name}: {:.2} ms, {} HTTP requests ({}), chain of {} certificates -> {out}",
        ms(sample.latency),
        sample.requests,
        STEPS
            .iter()
            .zip(sample.steps)
            .map(|(s, d)| format!("{s} {:.2}", ms(d)))
            .collect::<Vec<_>>()
            .join(", "),
        chain.matches("BEGIN CERTIFICATE").count(),
    );
    Ok(())
}

/// What every client shares.
struct Load {
    csrs: Csrs,
    /// The next order's number, across all clients.
    next: AtomicUsize,
    /// CSRs built during the run because the pre-built ones ran out.
    late: AtomicUsize,
    /// Certificates downloaded, warm-up and the order finishing after the window included.
    downloaded: AtomicUsize,
}

fn run(o: &Opts) -> Result<(), BoxError> {
    let target = o.target()?.to_string();
    let server = Server::from_opts(o)?;
    let concurrency: usize = o.num("concurrency", 1)?;
    let seconds: f64 = o.num("seconds", 10.0)?;
    let warmup: f64 = o.num("warmup", 2.0)?;
    let orders: usize = o.num("orders", 30_000)?;
    let threads: usize = o.num("threads", 1)?;
    if concurrency == 0 || seconds <= 0.0 || warmup < 0.0 || threads == 0 {
        return Err("--concurrency, --seconds and --threads must be positive".into());
    }

    let t = Instant::now();
    let tag = run_tag()?;
    let csrs = Csrs::new(orders, &format!("c{concurrency}-{tag}"), CSR_KEYS)?;
    let prep = t.elapsed();

    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    let t = Instant::now();
    let clients: Vec<Client> = rt.block_on(async {
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            let server = server.clone();
            tasks.push(tokio::spawn(async move { server.client().await }));
        }
        let mut all = Vec::with_capacity(concurrency);
        for t in tasks {
            all.push(t.await??);
        }
        Ok::<_, BoxError>(all)
    })?;
    println!(
        "   {target:<6} c={concurrency:<3} prepared {} CSRs in {:.2}s and {concurrency} accounts in {:.2}s (not timed)",
        csrs.pre.len(),
        prep.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    let load = Arc::new(Load {
        csrs,
        next: AtomicUsize::new(0),
        late: AtomicUsize::new(0),
        downloaded: AtomicUsize::new(0),
    });
    let conns: Vec<Arc<Conn>> = clients.iter().map(|c| Arc::clone(&c.conn)).collect();
    let start = Instant::now();
    let window_start = start + Duration::from_secs_f64(warmup);
    let window_end = window_start + Duration::from_secs_f64(seconds);
    let samples: Vec<Vec<Sample>> = rt.block_on(async {
        let mut tasks = Vec::with_capacity(concurrency);
        for client in clients {
            let load = Arc::clone(&load);
            tasks.push(tokio::spawn(async move { worker(client, load, window_end).await }));
        }
        let mut all = Vec::with_capacity(concurrency);
        for t in tasks {
            all.push(t.await??);
        }
        Ok::<_, BoxError>(all)
    })?;

    let counted: Vec<&Sample> = samples
        .iter()
        .flatten()
        .filter(|s| s.done >= window_start && s.done <= window_end)
        .collect();
    let mut lat: Vec<Duration> = counted.iter().map(|s| s.latency).collect();
    lat.sort_unstable();
    let n = lat.len();
    let rate = n as f64 / seconds;
    let mean = |f: &dyn Fn(&Sample) -> f64| {
        if n == 0 {
            0.0
        } else {
            counted.iter().map(|s| f(s)).sum::<f64>() / n as f64
        }
    };
    let steps: Vec<f64> = (0..STEPS.len()).map(|i| mean(&|s| ms(s.steps[i]))).collect();
    let requests = mean(&|s| s.requests as f64);
    let polls = mean(&|s| s.polls as f64);
    let downloaded = load.downloaded.load(Ordering::Relaxed);
    let late = load.late.load(Ordering::Relaxed);
    let connects: u64 = conns.iter().map(|c| c.connects.load(Ordering::Relaxed)).sum();
    let failed: u64 = conns.iter().map(|c| c.failed.load(Ordering::Relaxed)).sum();
    let retry_after: u64 = conns.iter().map(|c| c.retry_after.load(Ordering::Relaxed)).sum();
    let first_failure = conns
        .iter()
        .find_map(|c| c.first_failure.lock().unwrap_or_else(PoisonError::into_inner).clone())
        .map(|f| format!(" (first: {f})"))
        .unwrap_or_default();
    println!(
        "   {target:<6} c={concurrency:<3} {n:>6} orders in {seconds:.1}s = {rate:>7.1} orders/s   \
         p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms   ({downloaded} certificates downloaded incl. warm-up)",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    println!(
        "          per order: {requests:.2} HTTP requests ({polls:.2} extra polls); in all {failed} error answers \
         (retried badNonce included){first_failure}, {retry_after} with Retry-After (not waited for), \
         {connects} connections for {concurrency} clients{}",
        if late > 0 {
            format!(", {late} CSRs built during the run (raise --orders)")
        } else {
            String::new()
        }
    );
    println!(
        "          mean ms per step: {}",
        STEPS
            .iter()
            .zip(&steps)
            .map(|(s, v)| format!("{s} {v:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "RESULT target={target} concurrency={concurrency} count={n} seconds={seconds} rate={rate:.1} \
         p50={:.3} p99={:.3} max={:.3} downloaded={downloaded} requests={requests:.2} polls={polls:.2} \
         errors={failed} late={late} steps={}",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
        steps.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(","),
    );
    Ok(())
}

/// One client: one order at a time, until the window closes.
async fn worker(client: Client, load: Arc<Load>, window_end: Instant) -> Result<Vec<Sample>, BoxError> {
    let mut out = Vec::with_capacity(1024);
    while Instant::now() < window_end {
        let i = load.next.fetch_add(1, Ordering::Relaxed);
        let (name, csr) = match load.csrs.pre.get(i) {
            Some((name, csr)) => (name.clone(), csr.clone()),
            None => {
                load.late.fetch_add(1, Ordering::Relaxed);
                let name = load.csrs.name(i);
                let csr = load.csrs.make(i, &name)?;
                (name, csr)
            }
        };
        let (sample, _chain) = client.order(&name, &csr).await?;
        load.downloaded.fetch_add(1, Ordering::Relaxed);
        out.push(sample);
    }
    Ok(out)
}

/// The CSRs of one run: a DNS name each (CN and SAN), signed by a small key pool.
struct Csrs {
    tag: String,
    keys: Vec<KeyPair>,
    /// (name, DER) built before the run.
    pre: Vec<(String, Vec<u8>)>,
}

impl Csrs {
    fn new(count: usize, tag: &str, keys: usize) -> Result<Csrs, BoxError> {
        let rng = SystemRandom::new();
        let keys = (0..keys.max(1))
            .map(|_| Ok(KeyPair::from_pkcs8_der(&generate_pkcs8(KeyType::EcdsaP256, &rng)?)?))
            .collect::<Result<Vec<KeyPair>, BoxError>>()?;
        let mut csrs = Csrs {
            tag: tag.to_string(),
            keys,
            pre: Vec::with_capacity(count),
        };
        for i in 0..count {
            let name = csrs.name(i);
            let der = csrs.make(i, &name)?;
            csrs.pre.push((name, der));
        }
        Ok(csrs)
    }

    fn name(&self, i: usize) -> String {
        format!("o{i}-{}.acme-bench.example", self.tag)
    }

    /// The CSR of order `i`, for `name`.
    fn make(&self, i: usize, name: &str) -> Result<Vec<u8>, BoxError> {
        let subject = parse_dn(&format!("CN={name}"))?;
        let san = ca_core::ext::subject_alt_name(&[San::Dns(name.to_string())], false)?;
        let key = &self.keys[i % self.keys.len()];
        Ok(build_csr(&subject, vec![san], key)?)
    }
}

/// A random tag that keeps this run's names apart from every other run's.
fn run_tag() -> Result<String, BoxError> {
    let mut raw = [0u8; 4];
    SystemRandom::new().fill(&mut raw).map_err(|_| "no randomness")?;
    Ok(hex::encode(raw))
}

/// One keep-alive HTTP/1.1 connection over TLS to the directory's host, (re)opened when
/// needed; requests on it go one at a time (a client has one request in flight).
struct Conn {
    addr: SocketAddr,
    authority: String,
    host: HeaderValue,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    sender: tokio::sync::Mutex<Option<http1::SendRequest<BodyWrapper<Bytes>>>>,
    /// Requests sent, connections opened, answers with a 4xx/5xx status, answers with a
    /// Retry-After header.
    requests: AtomicU64,
    connects: AtomicU64,
    failed: AtomicU64,
    retry_after: AtomicU64,
    /// The first error answer (request and status), for the report.
    first_failure: Mutex<Option<String>>,
}

impl Conn {
    fn new(directory: &str, tls: Arc<rustls::ClientConfig>) -> Result<Conn, BoxError> {
        let uri: Uri = directory.parse()?;
        if uri.scheme_str() != Some("https") {
            return Err(format!("{directory} is not an https URL").into());
        }
        let authority = uri
            .authority()
            .ok_or("the directory URL has no host")?
            .as_str()
            .to_string();
        let host = uri.host().ok_or("the directory URL has no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = uri.port_u16().unwrap_or(443);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        Ok(Conn {
            addr,
            host: HeaderValue::from_str(&authority)?,
            authority,
            server_name: ServerName::try_from(host)?,
            tls: TlsConnector::from(tls),
            sender: tokio::sync::Mutex::new(None),
            requests: AtomicU64::new(0),
            connects: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            retry_after: AtomicU64::new(0),
            first_failure: Mutex::new(None),
        })
    }

    async fn connect(&self) -> Result<http1::SendRequest<BodyWrapper<Bytes>>, BoxError> {
        let tcp = TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let tls = self.tls.connect(self.server_name.clone(), tcp).await?;
        let (sender, conn) = http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.connects.fetch_add(1, Ordering::Relaxed);
        Ok(sender)
    }

    /// Sends one request; a server that does not answer within [`REQUEST_TIMEOUT`] fails the
    /// run rather than hanging it.
    async fn send(&self, req: Request<BodyWrapper<Bytes>>) -> Result<BytesResponse, BoxError> {
        let what = format!("{} {}", req.method(), req.uri());
        match tokio::time::timeout(REQUEST_TIMEOUT, self.send_now(req)).await {
            Ok(answer) => answer.map_err(|e| format!("{what}: {e}").into()),
            Err(_) => Err(format!("{what}: no answer within {REQUEST_TIMEOUT:?}").into()),
        }
    }

    async fn send_now(&self, req: Request<BodyWrapper<Bytes>>) -> Result<BytesResponse, BoxError> {
        let (mut parts, body) = req.into_parts();
        let what = format!("{} {}", parts.method, parts.uri.path());
        if parts.uri.authority().map(|a| a.as_str()) != Some(self.authority.as_str()) {
            return Err(format!("{} is not on {}: one connection per client", parts.uri, self.authority).into());
        }
        // Origin-form request target and a Host header, as an HTTP/1.1 client sends them.
        parts.uri = parts.uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
        parts.headers.insert(HOST, self.host.clone());
        let mut sender = self.sender.lock().await;
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            *sender = Some(self.connect().await?);
        }
        let s = sender.as_mut().ok_or("no connection")?;
        s.ready().await?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let rsp = s.send_request(Request::from_parts(parts, body)).await?;
        let status = rsp.status();
        if status.is_client_error() || status.is_server_error() {
            self.failed.fetch_add(1, Ordering::Relaxed);
            self.first_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(|| format!("{what} -> {status}"));
        }
        if rsp.headers().contains_key(hyper::header::RETRY_AFTER) {
            self.retry_after.fetch_add(1, Ordering::Relaxed);
        }
        Ok(BytesResponse::from(rsp))
    }
}

/// instant-acme's view of a [`Conn`].
struct Transport(Arc<Conn>);

impl HttpClient for Transport {
    fn request(
        &self,
        req: Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let conn = Arc::clone(&self.0);
        Box::pin(async move { conn.send(req).await.map_err(instant_acme::Error::Other) })
    }
}
