//! Start-up and the accept loops: open the home, unlock keys, bind both listeners, serve until
//! SIGTERM/SIGINT, then stop accepting and let in-flight requests (and their commits) finish.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use ca_store::home::authority::{Authority, KeyScope};
use ca_store::home::{files, secret, CaHome};
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::app::App;
use crate::args::Args;
use crate::http::{self, PeerCert};
use crate::{devhome, server_cert, tls};

/// How long shutdown waits for in-flight requests.
const DRAIN: Duration = Duration::from_secs(30);

/// Runs the daemon until a shutdown signal.
pub async fn run(args: Args) -> Result<()> {
    let home = match &args.home {
        Some(dir) => CaHome::open(dir)?,
        None => devhome::open_or_create(&PathBuf::from("privca-data"))?,
    };
    let pass = secret::resolve(
        args.passphrase_file.as_deref(),
        home.passphrase_file().as_deref(),
        false,
    )?;
    let store = Arc::new(home.open_index()?);
    let index: Arc<dyn ca_store::CertIndex> = store.clone();
    let scope = KeyScope::all_intermediates(&home);
    let auth = tokio::task::block_in_place(|| Authority::open(home.clone(), index, &pass, &scope))?;
    let https_addr = args.https.clone().unwrap_or_else(|| home.config.server.https.clone());
    let http_addr = args.http.clone().unwrap_or_else(|| home.config.server.http.clone());
    let https = TcpListener::bind(&https_addr)
        .await
        .with_context(|| format!("binding HTTPS {https_addr}"))?;
    let plain = TcpListener::bind(&http_addr)
        .await
        .with_context(|| format!("binding HTTP {http_addr}"))?;
    let (https_local, http_local) = (https.local_addr()?, plain.local_addr()?);

    let names = server_cert::names(&https_local, &home.config.server.public_url);
    let identity =
        tokio::task::block_in_place(|| server_cert::ensure(&auth, &pass, &names, time::OffsetDateTime::now_utc()))?;
    crate::metrics::handle();
    let app = Arc::new(App::new(auth, store)?);
    crate::revocation::jobs::start(app.clone(), pass).await?;
    crate::acme::jobs::start(app.clone());
    let roots: Vec<Vec<u8>> = app.cas.values().map(|c| c.root_der.clone()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls::server_config(identity, &roots)?);

    announce(&home, https_local, http_local);
    if let Some(path) = &args.ready_file {
        let ready = serde_json::json!({ "https": https_local.to_string(), "http": http_local.to_string() });
        files::write_atomic(path, ready.to_string().as_bytes())?;
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let graceful = Arc::new(GracefulShutdown::new());
    let tls_loop = tokio::spawn(accept_loop(
        https,
        Some(acceptor),
        http::https_router(app.clone()),
        stop_rx.clone(),
        graceful.clone(),
    ));
    let http_loop = tokio::spawn(accept_loop(
        plain,
        None,
        http::public_router(app.clone()),
        stop_rx,
        graceful.clone(),
    ));
    shutdown_signal().await;
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
    let _ = stop_tx.send(true);
    let _ = tokio::join!(tls_loop, http_loop);
    let graceful =
        Arc::try_unwrap(graceful).map_err(|_| anyhow::anyhow!("accept loops still hold the shutdown handle"))?;
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still open after {DRAIN:?}");
    }
    tracing::info!("stopped");
    Ok(())
}

fn announce(home: &CaHome, https: SocketAddr, http: SocketAddr) {
    println!("privca CA server");
    println!("  HTTPS (API):          https://{https}");
    println!("  HTTP (CA certs, CRL): http://{http}");
    println!("  CA home:              {}", home.dir.display());
    for (name, c) in &home.config.issuers {
        println!("  issuer {name:<10} root: {}", home.dir.join(&c.root_cert).display());
    }
    for name in home.config.acme.keys() {
        println!("  ACME directory:       https://{https}/acme/{name}/directory");
    }
    let (crt, key) = ca_store::home::admin::paths(home);
    if crt.exists() {
        println!("  admin credential:     {} + {}", crt.display(), key.display());
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Accepts connections until `stop`; with `tls`, each is a TLS connection whose client
/// certificate (if any) is handed to the handlers.
async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    mut stop: watch::Receiver<bool>,
    graceful: Arc<GracefulShutdown>,
) {
    loop {
        let (tcp, _) = tokio::select! {
            r = listener.accept() => match r { Ok(c) => c, Err(e) => { tracing::warn!("accept: {e}"); continue; } },
            _ = stop.changed() => return,
        };
        let (tls, router, graceful) = (tls.clone(), router.clone(), graceful.clone());
        tokio::spawn(async move {
            let Some(acceptor) = tls else {
                return serve_conn(tcp, router, PeerCert::default(), &graceful).await;
            };
            let stream = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => return tracing::debug!("TLS handshake timed out"),
            };
            let peer = PeerCert(
                stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| Arc::new(c.to_vec())),
            );
            serve_conn(stream, router, peer, &graceful).await;
        });
    }
}

async fn serve_conn<S>(io: S, router: Router, peer: PeerCert, graceful: &GracefulShutdown)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(peer.clone());
        router.clone().oneshot(req)
    });
    let builder = Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    if let Err(e) = graceful.watch(conn.into_owned()).await {
        tracing::debug!("connection ended: {e}");
    }
}
