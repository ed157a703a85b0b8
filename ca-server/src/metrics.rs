//! Prometheus metrics: requests by template and outcome, the approval queue length, and the
//! issuance latency histogram. The recorder is process-global; `/metrics` renders it.
use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once; later calls return the same handle.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("privca_issuance_seconds".into()),
                &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
            )
            .expect("static buckets")
            .install_recorder()
            .expect("metrics recorder installed once")
    })
}

/// Counts one enrollment request by template and outcome (issued, pending, refused).
pub fn request(template: &str, outcome: &'static str) {
    metrics::counter!("privca_requests_total", "template" => template.to_string(), "outcome" => outcome).increment(1);
}

/// Records how long one issuance took (policy, signature and durable commit).
pub fn issuance(elapsed: Duration) {
    metrics::histogram!("privca_issuance_seconds").record(elapsed.as_secs_f64());
}

/// Sets the approval queue length gauge (at scrape time).
pub fn queue_length(n: usize) {
    metrics::gauge!("privca_pending_requests").set(n as f64);
}

/// Sets how many seconds remain until the served full CRL of `issuer` reaches nextUpdate.
pub fn crl_seconds_left(issuer: &str, secs: i64) {
    metrics::gauge!("privca_crl_seconds_to_next_update", "issuer" => issuer.to_string()).set(secs as f64);
}

/// Counts one OCSP answer by how it was produced (cache, signed, error).
pub fn ocsp(outcome: &'static str) {
    metrics::counter!("privca_ocsp_responses_total", "outcome" => outcome).increment(1);
}

/// Counts one ACME request by endpoint, resource kind (new-order, finalize, chall, ...) and
/// answer status.
pub fn acme_request(endpoint: &str, resource: &'static str, status: u16) {
    metrics::counter!("privca_acme_requests_total", "endpoint" => endpoint.to_string(), "resource" => resource,
        "status" => status.to_string())
    .increment(1);
}

/// Counts one finished challenge validation by endpoint, challenge type and result (valid,
/// invalid).
pub fn acme_validation(endpoint: &str, challenge: &'static str, result: &'static str) {
    metrics::counter!("privca_acme_validations_total", "endpoint" => endpoint.to_string(), "challenge" => challenge,
        "result" => result)
    .increment(1);
}
