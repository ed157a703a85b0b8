//! OCSP load generator (issue 5), run by `scripts/bench/revocation`: `OCSP_CONNECTIONS`
//! keep-alive HTTP/1.1 connections (default 64), each a task on one small tokio runtime
//! (`OCSP_CLIENT_THREADS`, default 1, so the server keeps a core), POST the DER request in
//! `OCSP_REQ` to `OCSP_URL` back to back for `OCSP_SECONDS` (default 5) and record every
//! latency. A connection the server closes (openssl's responder answers one request per
//! connection) is reopened. Prints `RESULT rps=.. p50_ms=.. p99_ms=.. errors=..`. The same tool
//! drives privca and `openssl ocsp -index`, so their figures compare.
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn main() {
    let url = std::env::var("OCSP_URL").expect("OCSP_URL");
    let req = Bytes::from(std::fs::read(std::env::var("OCSP_REQ").expect("OCSP_REQ")).expect("request file"));
    let env = |k: &str, d: u64| std::env::var(k).map_or(d, |v| v.parse().expect(k));
    let conns = env("OCSP_CONNECTIONS", 64) as usize;
    let secs = env("OCSP_SECONDS", 5);
    let threads = env("OCSP_CLIENT_THREADS", 1) as usize;
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), "/".to_string()),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    let (lat, errors, elapsed) = rt.block_on(async move {
        let end = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (host, path, req) = (host.clone(), path.clone(), req.clone());
            tasks.push(tokio::spawn(async move { connection(&host, &path, req, end).await }));
        }
        let (mut lat, mut errors) = (Vec::new(), 0u64);
        for t in tasks {
            let (l, e) = t.await.expect("load task");
            lat.extend(l);
            errors += e;
        }
        (lat, errors, started.elapsed().as_secs_f64())
    });
    let mut all = lat;
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "RESULT rps={:.0} p50_ms={:.2} p99_ms={:.2} errors={errors} requests={}",
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        all.len()
    );
}

/// One connection's loop: (re)connect, send, read the whole answer, until `end`.
async fn connection(host: &str, path: &str, body: Bytes, end: Instant) -> (Vec<Duration>, u64) {
    let (mut lat, mut errors) = (Vec::new(), 0u64);
    let mut sender = None;
    while Instant::now() < end {
        let t = Instant::now();
        if sender
            .as_ref()
            .is_none_or(|s: &http1::SendRequest<Full<Bytes>>| s.is_closed())
        {
            sender = match TcpStream::connect(host).await {
                Ok(tcp) => {
                    let _ = tcp.set_nodelay(true);
                    match http1::handshake(TokioIo::new(tcp)).await {
                        Ok((s, conn)) => {
                            tokio::spawn(conn);
                            Some(s)
                        }
                        Err(_) => None,
                    }
                }
                Err(_) => None,
            };
            if sender.is_none() {
                errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        }
        let s = sender.as_mut().expect("connected");
        if s.ready().await.is_err() {
            sender = None;
            continue;
        }
        let req = Request::post(path)
            .header("host", host)
            .header("content-type", "application/ocsp-request")
            .body(Full::new(body.clone()))
            .expect("request");
        let ok = match s.send_request(req).await {
            Ok(resp) if resp.status().is_success() => match resp.into_body().collect().await {
                Ok(b) => b.to_bytes().len() > 5,
                Err(_) => false,
            },
            _ => false,
        };
        if ok {
            lat.push(t.elapsed());
        } else {
            errors += 1;
            sender = None;
        }
    }
    (lat, errors)
}
