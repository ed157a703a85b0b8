//! Errors of the service layer, by what the caller did wrong (or not). `http/error.rs` maps
//! them to statuses; nothing here knows about HTTP.
use ca_store::home::HomeError;
use ca_store::StoreError;

/// What a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Core or store errors: bad CSR, policy refusal, unknown template, database failure.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// No credential where one is needed.
    #[error("{0}")]
    Unauthenticated(String),
    /// A credential that does not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The thing is in the wrong state (approving an issued request, reusing a token).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::RequestNotFound(id) => AppError::NotFound(format!("no request {id}")),
            e @ StoreError::NotFound { .. } => AppError::NotFound(e.to_string()),
            other => AppError::Home(HomeError::Store(other)),
        }
    }
}

impl From<ca_core::Error> for AppError {
    fn from(e: ca_core::Error) -> Self {
        AppError::Home(HomeError::Core(e))
    }
}
