//! Issuance throughput benchmark of issue 2, driven by `scripts/bench/issue` (which adds the
//! `openssl ca` comparison and the summary table). Not a test: it measures, it asserts nothing
//! beyond "every issuance succeeded and every record is in the index".
//!
//! ```text
//! cargo bench -p ca-store --bench issue -- --key-type ecdsa-p256 --dir DIR [--csrs 2000]
//!     [--keys 32] [--seconds 4] [--submitters 1,16] [--breakdown] [--no-raw]
//!     [--commit two-phase,checksum]
//! ```
//!
//! For one issuer key type it creates a CA home in `DIR/home`, writes `--csrs` CSRs (PEM) to
//! `DIR/csr/` (so openssl can issue the very same requests), then measures
//! (a) the raw limit: `CertRequest::parse` + `IssuingCa::issue` on every core, no store;
//! (b) `Authority::issue` through a real on-disk `RedbIndex` (durable group commit) with each
//!     `--submitters` count of concurrent threads, in each `--commit` mode (`[store] commit`;
//!     the default, two-phase, reports as `mode=b`, checksum as `mode=b-checksum`).
//!
//! Each run is time-boxed (`--seconds`) and cycles through the CSRs; serials are random, so
//! reusing a CSR issues a new certificate. Results are printed as `RESULT key=value ...` lines
//! for the script, plus human-readable text.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use ca_core::csr::{CertRequest, San};
use ca_core::csrbuild::build_csr;
use ca_core::issue::IssuingCa;
use ca_core::keys::{generate_pkcs8, KeyPair, KeyType};
use ca_core::name::parse_dn;
use ca_core::profile::Profile;
use ca_core::serial::Serial;
use ca_store::home::authority::{Authority, KeyScope};
use ca_store::home::{CaHome, InitOptions};
use ca_store::{CertIndex, CommitMode, RedbIndex};
use time::OffsetDateTime;

const PASSPHRASE: &[u8] = b"privca-bench-passphrase";
const TEMPLATE: &str = "WebServer";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The shared `Authority` must be usable from many submitter threads at once.
const fn assert_send_sync<T: Send + Sync>() {}
const _: () = assert_send_sync::<Authority>();

struct Args {
    key_type: KeyType,
    dir: PathBuf,
    csrs: usize,
    keys: usize,
    seconds: f64,
    submitters: Vec<usize>,
    breakdown: bool,
    raw: bool,
    commits: Vec<CommitMode>,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench -p ca-store --bench issue -- --key-type KT --dir DIR [--csrs N] [--keys N] \
         [--seconds S] [--submitters 1,16] [--breakdown] [--no-raw] [--commit two-phase,checksum]"
    );
    std::process::exit(2)
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        key_type: KeyType::EcdsaP256,
        dir: PathBuf::new(),
        csrs: 2000,
        keys: 32,
        seconds: 4.0,
        submitters: vec![1, 16],
        breakdown: false,
        raw: true,
        commits: CommitMode::ALL.to_vec(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--key-type" => args.key_type = value().parse()?,
            "--dir" => args.dir = PathBuf::from(value()),
            "--csrs" => args.csrs = value().parse()?,
            "--keys" => args.keys = value().parse()?,
            "--seconds" => args.seconds = value().parse()?,
            "--submitters" => {
                args.submitters = value().split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--breakdown" => args.breakdown = true,
            "--commit" => {
                args.commits = value()
                    .split(',')
                    .map(|m| {
                        CommitMode::ALL
                            .into_iter()
                            .find(|c| c.name() == m)
                            .ok_or_else(|| format!("unknown commit mode {m:?} (two-phase, checksum)"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            // Skips (a): for profiling the durable path alone.
            "--no-raw" => args.raw = false,
            // cargo bench appends --bench to the arguments of harness = false targets.
            "--bench" => {}
            _ => usage(),
        }
    }
    if args.dir.as_os_str().is_empty() || args.csrs == 0 || args.keys == 0 {
        usage();
    }
    Ok(args)
}

fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let kt = args.key_type;
    let now = OffsetDateTime::now_utc();
    std::fs::create_dir_all(&args.dir)?;
    println!("== {kt}: setting up in {}", args.dir.display());
    fsync_probe(&args.dir)?;

    let t = Instant::now();
    let opts = InitOptions {
        key_type: kt,
        subject: format!("CN=privca Bench Root CA {kt},O=privca bench"),
        ..InitOptions::default()
    };
    let home = CaHome::create(&args.dir.join("home"), &opts, PASSPHRASE, now)?;
    println!("   CA home created in {:.2}s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let csrs = make_csrs(kt, args.csrs, args.keys, &args.dir.join("csr"))?;
    println!(
        "   {} CSRs ({} distinct {kt} keys) written to {} in {:.2}s (not timed)",
        csrs.len(),
        args.keys.min(args.csrs),
        args.dir.join("csr").display(),
        t.elapsed().as_secs_f64()
    );

    let ca = Arc::new(home.load_issuer("default", PASSPHRASE)?);
    let profile = Arc::new(home.load_profiles()?.get(TEMPLATE)?.clone());
    let csrs = Arc::new(csrs);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let secs = Duration::from_secs_f64(args.seconds);

    if args.breakdown {
        breakdown(&ca, &profile, &csrs, now)?;
    }

    // (a) raw limit: parse + verify CSR, policy, build, sign. No store, every core.
    if args.raw {
        raw(&ca, &profile, &csrs, cores, Duration::from_millis(300))?; // warm-up
        let (n, el) = raw(&ca, &profile, &csrs, cores, secs)?;
        report(kt, "a", cores, n, el, None);
    }

    // (b) the real service: Authority::issue through a RedbIndex on disk, once per commit
    // mode, each on its own copy of the new home's index (which holds the bootstrap admin
    // certificate) so every mode starts from the same file.
    let pristine = args.dir.join("home").join(&home.config.store.path);
    for &mode in &args.commits {
        let name = mode.name();
        let path = args.dir.join(format!("index-{name}.redb"));
        std::fs::copy(&pristine, &path)?;
        let redb = RedbIndex::open_with(&path, mode)?;
        println!("   commit = \"{name}\"");
        let index: Arc<dyn CertIndex> = Arc::new(redb);
        let auth = Arc::new(Authority::open(
            home.clone(),
            Arc::clone(&index),
            PASSPHRASE,
            &KeyScope::all_intermediates(&home),
        )?);
        let before = index.count()?;
        let mut total = 0;
        // The default mode reports as "b", the other as "b-<mode>".
        let label = if mode == CommitMode::default() {
            "b".to_owned()
        } else {
            format!("b-{name}")
        };
        for &threads in &args.submitters {
            let (n, el, lat) = durable(&auth, &csrs, threads, secs)?;
            total += n;
            report(kt, &label, threads, n, el, Some(&lat));
        }
        let stored = index.count()? - before;
        if stored != total as u64 {
            return Err(format!("index gained {stored} records in {total} issuances").into());
        }
        println!("   check: index holds all {stored} issued records");
    }
    Ok(())
}

/// Prints one measurement, human-readable and as a `RESULT` line for the script.
fn report(kt: KeyType, mode: &str, threads: usize, n: usize, el: Duration, lat: Option<&[Duration]>) {
    let rate = n as f64 / el.as_secs_f64();
    let what = match mode {
        "a" => "raw parse+verify+sign, no store",
        _ => "Authority::issue + redb durable",
    };
    let mut line = format!(
        "   {:<12} {what:<32} threads={threads:<3} {n:>7} certs in {:>6.2}s = {rate:>9.1} certs/s",
        format!("({mode})"),
        el.as_secs_f64()
    );
    let mut extra = String::new();
    if let Some(lat) = lat {
        let (p50, p99) = (percentile(lat, 0.50), percentile(lat, 0.99));
        line.push_str(&format!("  latency p50 {:.2} ms p99 {:.2} ms", ms(p50), ms(p99)));
        extra = format!(" p50_ms={:.3} p99_ms={:.3}", ms(p50), ms(p99));
    }
    println!("{line}");
    println!(
        "RESULT key={kt} mode={mode} threads={threads} certs={n} secs={:.4} rate={rate:.1}{extra}",
        el.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Latency of a small write + fdatasync on the benchmark's filesystem: the floor of one
/// durable commit, which bounds (b) with one submitter.
fn fsync_probe(dir: &Path) -> Result<(), BoxError> {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let block = [0x5au8; 4096];
    let rounds = 50;
    let t = Instant::now();
    for _ in 0..rounds {
        f.write_all(&block)?;
        f.sync_data()?;
    }
    let per = t.elapsed() / rounds;
    std::fs::remove_file(&path)?;
    println!("   fsync probe: 4 KiB write + fdatasync = {:.3} ms", ms(per));
    println!("RESULT mode=fsync ms={:.4}", ms(per));
    Ok(())
}

/// `count` CSRs for `host<i>.bench.example` (CN and DNS SAN), signed by a pool of `keys`
/// keys (RSA generation is slow and the CSR's key does not change the issuance cost).
fn make_csrs(kt: KeyType, count: usize, keys: usize, dir: &Path) -> Result<Vec<Vec<u8>>, BoxError> {
    std::fs::create_dir_all(dir)?;
    let rng = SystemRandom::new();
    let pool = (0..keys.min(count))
        .map(|_| Ok(KeyPair::from_pkcs8_der(&generate_pkcs8(kt, &rng)?)?))
        .collect::<Result<Vec<KeyPair>, BoxError>>()?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let host = format!("host{i:05}.bench.example");
        let subject = parse_dn(&format!("CN={host},O=privca bench"))?;
        let san = ca_core::ext::subject_alt_name(&[San::Dns(host)], false)?;
        let der = build_csr(&subject, vec![san], &pool[i % pool.len()])?;
        let pem = ca_core::pem::encode("CERTIFICATE REQUEST", &der);
        std::fs::write(dir.join(format!("{i:05}.csr")), &pem)?;
        out.push(pem.into_bytes());
    }
    Ok(out)
}

/// Runs `work(i)` on `threads` threads named `name-N` (so a profile can tell the phases
/// apart) for `secs`, `i` counting up across all threads. Returns how many calls completed
/// and the wall time until the last one finished, plus each call's latency when `timed`.
fn run_threads<F>(
    name: &str,
    threads: usize,
    secs: Duration,
    timed: bool,
    work: F,
) -> Result<(usize, Duration, Vec<Duration>), BoxError>
where
    F: Fn(usize) -> Result<(), BoxError> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + secs;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (work, next) = (Arc::clone(&work), Arc::clone(&next));
            std::thread::Builder::new().name(format!("{name}-{t}")).spawn(
                move || -> Result<(usize, Vec<Duration>), BoxError> {
                    let mut done = 0;
                    let mut lat = Vec::new();
                    loop {
                        let t = Instant::now();
                        if t >= deadline {
                            return Ok((done, lat));
                        }
                        work(next.fetch_add(1, Ordering::Relaxed))?;
                        done += 1;
                        if timed {
                            lat.push(t.elapsed());
                        }
                    }
                },
            )
        })
        .collect::<Result<_, _>>()?;
    let mut total = 0;
    let mut lats = Vec::new();
    for h in handles {
        let (n, lat) = h.join().map_err(|_| "benchmark thread panicked")??;
        total += n;
        lats.extend(lat);
    }
    let elapsed = start.elapsed();
    lats.sort_unstable();
    Ok((total, elapsed, lats))
}

/// (a): what the crypto and the pipeline alone allow, every core busy.
fn raw(
    ca: &Arc<IssuingCa>,
    profile: &Arc<Profile>,
    csrs: &Arc<Vec<Vec<u8>>>,
    threads: usize,
    secs: Duration,
) -> Result<(usize, Duration), BoxError> {
    let (ca, profile, csrs) = (Arc::clone(ca), Arc::clone(profile), Arc::clone(csrs));
    let rng = SystemRandom::new();
    let (n, el, _) = run_threads("raw", threads, secs, false, move |i| {
        let req = CertRequest::parse(&csrs[i % csrs.len()])?;
        // The clock is read per certificate, as the daemon does (the serial's time prefix).
        let now = OffsetDateTime::now_utc();
        let issued = ca.issue(&req, &profile, None, Serial::random(&rng, now)?, now)?;
        black_box(issued);
        Ok(())
    })?;
    Ok((n, el))
}

/// (b): the durable service with `threads` concurrent submitters.
fn durable(
    auth: &Arc<Authority>,
    csrs: &Arc<Vec<Vec<u8>>>,
    threads: usize,
    secs: Duration,
) -> Result<(usize, Duration, Vec<Duration>), BoxError> {
    let (auth, csrs) = (Arc::clone(auth), Arc::clone(csrs));
    run_threads(&format!("sub{threads}"), threads, secs, true, move |i| {
        let issued = auth.issue(&csrs[i % csrs.len()], TEMPLATE, None, None, OffsetDateTime::now_utc())?;
        black_box(issued);
        Ok(())
    })
}

/// Single-threaded cost of each stage, to see where the time of (a) goes.
fn breakdown(ca: &IssuingCa, profile: &Profile, csrs: &[Vec<u8>], now: OffsetDateTime) -> Result<(), BoxError> {
    let rng = SystemRandom::new();
    let n = csrs.len().min(1000);
    let per = |t: Instant| t.elapsed().as_secs_f64() * 1e6 / n as f64;

    let t = Instant::now();
    let reqs = csrs[..n]
        .iter()
        .map(|c| CertRequest::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    let parse = per(t);

    let t = Instant::now();
    let plans = reqs
        .iter()
        .map(|r| ca.check(r, profile, None))
        .collect::<Result<Vec<_>, _>>()?;
    let check = per(t);

    let t = Instant::now();
    let mut ders = Vec::with_capacity(n);
    for (r, p) in reqs.iter().zip(&plans) {
        ders.push(
            ca.sign_plan(p, r.spki_der(), profile, Serial::random(&rng, now)?, now)?
                .der,
        );
    }
    let build_sign = per(t);

    // The bare signature over a TBS-sized message, to split build from sign.
    let tbs = &ders[0][..ders[0].len().min(700)];
    let t = Instant::now();
    for _ in 0..n {
        black_box(ca.signer().sign(tbs)?);
    }
    let sign = per(t);

    println!(
        "   breakdown (1 thread, us/cert): CSR parse+verify {parse:.1}, policy {check:.1}, build+sign {build_sign:.1} \
         (of which signature {sign:.1}), cert {} bytes",
        ders[0].len()
    );
    println!(
        "RESULT mode=breakdown parse_us={parse:.2} policy_us={check:.2} build_sign_us={build_sign:.2} sign_us={sign:.2}"
    );
    Ok(())
}
