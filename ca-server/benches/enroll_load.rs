//! HTTPS enrollment load generator of issue 3, driven by `scripts/bench/enroll` (which starts
//! `ca-server` and `cfssl serve`, runs this against both and prints the comparison). Not a
//! test: it measures, and fails only when a request does not yield a certificate.
//!
//! ```text
//! cargo bench -p ca-server --bench enroll_load -- gen --key-type ecdsa-p256 --count 2000 \
//!     [--keys 32] --out DIR
//! cargo bench -p ca-server --bench enroll_load -- run --target privca|cfssl --url URL \
//!     [--ca-cert ROOT.pem] --csr-dir DIR --concurrency N [--seconds 10] [--warmup 2] \
//!     [--template NAME] [--threads 1]
//! ```
//!
//! `gen` writes `--count` PEM CSRs (`hostNNNNN.bench.example` as CN and DNS SAN, signed by a
//! pool of `--keys` keys) before anything is timed. `run` opens `--concurrency` clients, each
//! with ONE keep-alive HTTP/1.1 connection (its own connection pool of one), which submit the
//! CSRs in order (a shared counter, cycling), one request at a time per client:
//! - privca: `POST URL/v1/requests?template=NAME`, `Content-Type: application/pkcs10`, PEM
//!   body; a success is `201` with a `certificate` in the JSON answer;
//! - cfssl: `POST URL/api/v1/cfssl/sign`, `{"certificate_request": PEM}`; a success is `200`
//!   with `success: true` and `result.certificate`.
//!
//! Requests completing during `--warmup` (TLS handshakes, first allocations) are not counted;
//! then for `--seconds` every completion is counted and its latency (request sent to full
//! answer read) recorded. The result is one `RESULT key=value ...` line for the script.
//!
//! The client runs on a current-thread Tokio runtime by default (`--threads 1`): it shares
//! the machine with the server under test, and the same client costs the same for both.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use bytes::Bytes;
use ca_core::csr::San;
use ca_core::csrbuild::build_csr;
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;

mod common;

use common::{ms, pct, tls_config, BoxError, Opts};

fn usage() -> ! {
    eprintln!(
        "usage: enroll_load gen --key-type KT --count N [--keys K] --out DIR\n       \
         enroll_load run --target privca|cfssl --url URL [--ca-cert ROOT.pem] --csr-dir DIR \
         --concurrency N [--seconds S] [--warmup S] [--template NAME] [--threads T]"
    );
    std::process::exit(2)
}

fn main() -> Result<(), BoxError> {
    let (verb, opts) = Opts::command_line(usage)?;
    match verb.as_str() {
        "gen" => gen(&opts),
        "run" => run(&opts),
        _ => usage(),
    }
}

/// `gen`: the CSRs both servers sign.
fn gen(o: &Opts) -> Result<(), BoxError> {
    let kt: KeyType = o.req("key-type")?.parse()?;
    let count: usize = o.num("count", 2000)?;
    let keys: usize = o.num("keys", 32)?;
    let dir = PathBuf::from(o.req("out")?);
    if count == 0 || keys == 0 {
        return Err("--count and --keys must be positive".into());
    }
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let rng = SystemRandom::new();
    let pool = (0..keys.min(count))
        .map(|_| Ok(KeyPair::from_pkcs8_der(&generate_pkcs8(kt, &rng)?)?))
        .collect::<Result<Vec<KeyPair>, BoxError>>()?;
    for i in 0..count {
        let host = format!("host{i:05}.bench.example");
        let subject = parse_dn(&format!("CN={host},O=privca bench"))?;
        let san = ca_core::ext::subject_alt_name(&[San::Dns(host)], false)?;
        let der = build_csr(&subject, vec![san], &pool[i % pool.len()])?;
        std::fs::write(
            dir.join(format!("{i:05}.csr")),
            ca_core::pem::encode("CERTIFICATE REQUEST", &der),
        )?;
    }
    println!(
        "   {count} {kt} CSRs ({} distinct keys) written to {} in {:.2}s (not timed)",
        pool.len(),
        dir.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The server under test and how it is asked for a certificate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Privca,
    Cfssl,
}

/// What every client shares.
struct Load {
    target: Target,
    endpoint: String,
    /// Request bodies, one per CSR, already in the target's format (reference-counted, so a
    /// request does not copy its CSR).
    bodies: Vec<Bytes>,
    /// The next CSR to submit, across all clients.
    next: AtomicUsize,
}

/// One client's record: (completion time, latency) of each success.
type Samples = Vec<(Instant, Duration)>;

fn run(o: &Opts) -> Result<(), BoxError> {
    let target = match o.req("target")? {
        "privca" => Target::Privca,
        "cfssl" => Target::Cfssl,
        t => return Err(format!("unknown --target {t:?} (privca or cfssl)").into()),
    };
    let url = o.req("url")?.trim_end_matches('/').to_string();
    let concurrency: usize = o.num("concurrency", 1)?;
    let seconds: f64 = o.num("seconds", 10.0)?;
    let warmup: f64 = o.num("warmup", 2.0)?;
    let threads: usize = o.num("threads", 1)?;
    if concurrency == 0 || seconds <= 0.0 || warmup < 0.0 || threads == 0 {
        return Err("--concurrency, --seconds and --threads must be positive".into());
    }
    let csrs = read_csrs(Path::new(o.req("csr-dir")?))?;
    let endpoint = match target {
        Target::Privca => format!("{url}/v1/requests?template={}", o.get("template").unwrap_or("bench")),
        Target::Cfssl => format!("{url}/api/v1/cfssl/sign"),
    };
    let bodies = csrs
        .into_iter()
        .map(|pem| match target {
            Target::Privca => Bytes::from(pem),
            Target::Cfssl => {
                let pem = String::from_utf8_lossy(&pem);
                Bytes::from(serde_json::json!({ "certificate_request": pem }).to_string())
            }
        })
        .collect();
    let tls = match o.get("ca-cert") {
        Some(path) => Some(tls_config(Path::new(path))?),
        None => None,
    };

    let rt = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    let load = Arc::new(Load {
        target,
        endpoint,
        bodies,
        next: AtomicUsize::new(0),
    });
    let start = Instant::now();
    let window_start = start + Duration::from_secs_f64(warmup);
    let window_end = window_start + Duration::from_secs_f64(seconds);
    let samples: Vec<Samples> = rt.block_on(async {
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            let client = client(tls.clone())?;
            let load = Arc::clone(&load);
            tasks.push(tokio::spawn(async move { worker(client, load, window_end).await }));
        }
        let mut all = Vec::with_capacity(concurrency);
        for t in tasks {
            all.push(t.await??);
        }
        Ok::<_, BoxError>(all)
    })?;
    let sent = load.next.load(Ordering::Relaxed);

    let mut lat: Vec<Duration> = samples
        .iter()
        .flatten()
        .filter(|(done, _)| *done >= window_start && *done <= window_end)
        .map(|(_, l)| *l)
        .collect();
    lat.sort_unstable();
    let n = lat.len();
    let rate = n as f64 / seconds;
    let name = match target {
        Target::Privca => "privca",
        Target::Cfssl => "cfssl",
    };
    println!(
        "   {name:<6} c={concurrency:<3} {n:>7} certs in {seconds:.1}s = {rate:>8.1} certs/s   \
         p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms   ({sent} requests sent incl. warm-up)",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    println!(
        "RESULT target={name} concurrency={concurrency} count={n} seconds={seconds} rate={rate:.1} \
         p50={:.3} p99={:.3} max={:.3} sent={sent}",
        ms(pct(&lat, 0.50)),
        ms(pct(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
    );
    Ok(())
}

/// One client: one connection, one request at a time, until the window closes.
async fn worker(client: reqwest::Client, load: Arc<Load>, window_end: Instant) -> Result<Samples, BoxError> {
    let mut out = Samples::with_capacity(4096);
    let ctype = match load.target {
        Target::Privca => "application/pkcs10",
        Target::Cfssl => "application/json",
    };
    while Instant::now() < window_end {
        let i = load.next.fetch_add(1, Ordering::Relaxed) % load.bodies.len();
        let t = Instant::now();
        let resp = client
            .post(&load.endpoint)
            .header(reqwest::header::CONTENT_TYPE, ctype)
            .body(load.bodies[i].clone())
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await?;
        let done = Instant::now();
        check(load.target, status, &body).map_err(|e| format!("CSR #{i}: {e}"))?;
        out.push((done, done - t));
    }
    Ok(out)
}

/// Did the answer carry a certificate?
fn check(target: Target, status: u16, body: &[u8]) -> Result<(), BoxError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, not JSON: {}", String::from_utf8_lossy(body)))?;
    let cert = match target {
        Target::Privca if status == 201 => v.get("certificate"),
        Target::Cfssl if status == 200 && v["success"] == true => v.pointer("/result/certificate"),
        _ => None,
    };
    match cert.and_then(|c| c.as_str()) {
        Some(pem) if pem.contains("BEGIN CERTIFICATE") => Ok(()),
        _ => Err(format!("HTTP {status}, no certificate: {v}").into()),
    }
}

/// A client with a single keep-alive HTTP/1.1 connection.
fn client(tls: Option<Arc<rustls::ClientConfig>>) -> Result<reqwest::Client, BoxError> {
    let mut b = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(None)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30));
    if let Some(cfg) = tls {
        b = b.use_preconfigured_tls((*cfg).clone());
    }
    Ok(b.build()?)
}

/// The PEM CSRs of `dir`, in file-name order.
fn read_csrs(dir: &Path) -> Result<Vec<Vec<u8>>, BoxError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csr"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.csr in {}", dir.display()).into());
    }
    files
        .iter()
        .map(|f| std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()).into()))
        .collect()
}
