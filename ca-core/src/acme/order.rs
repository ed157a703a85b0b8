//! The ACME object state machine (RFC 8555 7.1.6): account, order, authorization and
//! challenge statuses, the transitions between them, and the rules that derive an order's
//! status from its authorizations and an authorization's from its challenges. Pure: the
//! caller passes `now` from its clock and persists what these functions return.
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::StatusError;

/// Implements `as_str`, `Display` and a checked `transition` from an allowed-edges function.
macro_rules! status_common {
    ($ty:ident, $object:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The wire name, e.g. `pending`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// Moves to `to` if RFC 8555 7.1.6 allows it; staying put is always allowed.
            pub fn transition(self, to: $ty) -> Result<$ty, StatusError> {
                if self == to || self.can_become(to) {
                    Ok(to)
                } else {
                    Err(StatusError::Transition {
                        object: $object,
                        from: self.as_str().to_string(),
                        to: to.as_str().to_string(),
                    })
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// An account's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// In use.
    Valid,
    /// Deactivated by its holder; final.
    Deactivated,
    /// Revoked by the server; final.
    Revoked,
}

status_common!(AccountStatus, "account", { Valid => "valid", Deactivated => "deactivated", Revoked => "revoked" });

impl AccountStatus {
    /// Whether the state machine has an edge from `self` to `to`.
    pub fn can_become(self, to: AccountStatus) -> bool {
        use AccountStatus::*;
        matches!((self, to), (Valid, Deactivated) | (Valid, Revoked))
    }

    /// Requests of a deactivated or revoked account are refused (unauthorized, RFC 8555 7.3.6).
    pub fn require_valid(self) -> Result<(), StatusError> {
        match self {
            AccountStatus::Valid => Ok(()),
            other => Err(StatusError::AccountNotValid {
                status: other.to_string(),
            }),
        }
    }
}

/// An order's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Some authorization is not yet valid.
    Pending,
    /// Every authorization is valid: the client may finalize.
    Ready,
    /// Finalized: the certificate is being issued (or waits for approval).
    Processing,
    /// The certificate is issued.
    Valid,
    /// Abandoned: an authorization failed, the order expired, or issuance was refused.
    Invalid,
}

status_common!(OrderStatus, "order", {
    Pending => "pending", Ready => "ready", Processing => "processing", Valid => "valid", Invalid => "invalid",
});

impl OrderStatus {
    /// Whether the state machine has an edge from `self` to `to`.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Ready)
                | (Pending, Invalid)
                | (Ready, Processing)
                | (Ready, Invalid)
                | (Processing, Valid)
                | (Processing, Invalid)
        )
    }
}

/// An authorization's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthzStatus {
    /// No challenge has succeeded yet.
    Pending,
    /// A challenge succeeded.
    Valid,
    /// A challenge failed.
    Invalid,
    /// Deactivated by the client.
    Deactivated,
    /// Past its `expires`.
    Expired,
    /// Revoked by the server.
    Revoked,
}

status_common!(AuthzStatus, "authorization", {
    Pending => "pending", Valid => "valid", Invalid => "invalid", Deactivated => "deactivated",
    Expired => "expired", Revoked => "revoked",
});

impl AuthzStatus {
    /// Whether the state machine has an edge from `self` to `to`. RFC 8555's diagram lets
    /// both pending and valid authorizations be revoked, deactivated or expire.
    pub fn can_become(self, to: AuthzStatus) -> bool {
        use AuthzStatus::*;
        matches!(
            (self, to),
            (Pending, Valid | Invalid) | (Pending | Valid, Deactivated | Expired | Revoked)
        )
    }

    /// Whether no further change is possible.
    pub fn is_final(self) -> bool {
        !matches!(self, AuthzStatus::Pending | AuthzStatus::Valid)
    }
}

/// A challenge's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Waiting for the client to say it is ready.
    Pending,
    /// The server is validating (and may retry).
    Processing,
    /// Validation succeeded.
    Valid,
    /// Validation failed.
    Invalid,
}

status_common!(ChallengeStatus, "challenge", {
    Pending => "pending", Processing => "processing", Valid => "valid", Invalid => "invalid",
});

impl ChallengeStatus {
    /// Whether the state machine has an edge from `self` to `to`.
    pub fn can_become(self, to: ChallengeStatus) -> bool {
        use ChallengeStatus::*;
        matches!(
            (self, to),
            (Pending, Processing) | (Processing, Valid) | (Processing, Invalid)
        )
    }
}

/// RFC 8555 names `expires` the time *after which* the object is invalid.
pub fn is_expired(now: OffsetDateTime, expires: OffsetDateTime) -> bool {
    now > expires
}

/// The status an authorization has given its challenges' statuses and the time: a valid
/// challenge makes it valid, an invalid one invalid (RFC 8555 7.1.6), and a pending or valid
/// authorization past `expires` is expired. Final statuses never change.
pub fn authz_status_from_challenges(
    current: AuthzStatus,
    challenges: &[ChallengeStatus],
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> AuthzStatus {
    if current.is_final() {
        return current;
    }
    if is_expired(now, expires) {
        return AuthzStatus::Expired;
    }
    if current == AuthzStatus::Valid || challenges.contains(&ChallengeStatus::Valid) {
        AuthzStatus::Valid
    } else if challenges.contains(&ChallengeStatus::Invalid) {
        AuthzStatus::Invalid
    } else {
        AuthzStatus::Pending
    }
}

/// The status an order has given its authorizations' statuses and the time.
///
/// Only `pending` and `ready` orders move here: one authorization that can no longer become
/// valid (invalid, deactivated, expired, revoked) or the order's own expiry makes the order
/// invalid; all authorizations valid make it ready. `processing`, `valid` and `invalid` are
/// left alone: once finalized, the issuance (or the approval queue) decides, and an order
/// waiting days for manual approval must not expire under the administrator.
pub fn order_status_from_authz(
    current: OrderStatus,
    authz: &[AuthzStatus],
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> OrderStatus {
    if !matches!(current, OrderStatus::Pending | OrderStatus::Ready) {
        return current;
    }
    if is_expired(now, expires) || authz.iter().any(|a| a.is_final()) {
        return OrderStatus::Invalid;
    }
    if !authz.is_empty() && authz.iter().all(|a| *a == AuthzStatus::Valid) {
        OrderStatus::Ready
    } else {
        OrderStatus::Pending
    }
}

/// Whether finalize may proceed: the order, brought up to date with its authorizations, must
/// be `ready`; otherwise the error is orderNotReady (RFC 8555 7.4) naming the status.
pub fn can_finalize(
    current: OrderStatus,
    authz: &[AuthzStatus],
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<(), StatusError> {
    match order_status_from_authz(current, authz, now, expires) {
        OrderStatus::Ready => Ok(()),
        other => Err(StatusError::OrderNotReady {
            status: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
    }

    #[test]
    fn order_transitions_follow_the_rfc_diagram() {
        use OrderStatus::*;
        assert_eq!(Pending.transition(Ready), Ok(Ready));
        assert_eq!(Ready.transition(Processing), Ok(Processing));
        assert_eq!(Processing.transition(Valid), Ok(Valid));
        assert!(Pending.transition(Processing).is_err());
        assert!(Valid.transition(Invalid).is_err());
        assert!(Invalid.transition(Pending).is_err());
        let e = Pending.transition(Valid).unwrap_err();
        assert_eq!(e.to_string(), "order cannot go from pending to valid");
    }

    #[test]
    fn account_and_challenge_transitions() {
        assert!(AccountStatus::Valid.transition(AccountStatus::Deactivated).is_ok());
        assert!(AccountStatus::Deactivated.transition(AccountStatus::Valid).is_err());
        assert!(AccountStatus::Revoked.require_valid().is_err());
        assert!(ChallengeStatus::Pending.transition(ChallengeStatus::Processing).is_ok());
        assert!(ChallengeStatus::Pending.transition(ChallengeStatus::Valid).is_err());
        assert!(ChallengeStatus::Valid.transition(ChallengeStatus::Pending).is_err());
        assert!(AuthzStatus::Pending.transition(AuthzStatus::Deactivated).is_ok());
        assert!(AuthzStatus::Valid.transition(AuthzStatus::Revoked).is_ok());
        assert!(AuthzStatus::Invalid.transition(AuthzStatus::Valid).is_err());
    }

    #[test]
    fn authz_follows_its_challenges_and_the_clock() {
        use ChallengeStatus as C;
        let exp = t0() + Duration::days(7);
        let st = |ch: &[C]| authz_status_from_challenges(AuthzStatus::Pending, ch, t0(), exp);
        assert_eq!(st(&[C::Pending, C::Pending]), AuthzStatus::Pending);
        assert_eq!(st(&[C::Processing, C::Valid]), AuthzStatus::Valid);
        assert_eq!(st(&[C::Invalid, C::Pending]), AuthzStatus::Invalid);
        let late = exp + Duration::seconds(1);
        assert_eq!(
            authz_status_from_challenges(AuthzStatus::Valid, &[C::Valid], late, exp),
            AuthzStatus::Expired
        );
        assert_eq!(
            authz_status_from_challenges(AuthzStatus::Revoked, &[C::Valid], t0(), exp),
            AuthzStatus::Revoked
        );
    }

    #[test]
    fn order_follows_its_authorizations() {
        use AuthzStatus as A;
        let exp = t0() + Duration::days(7);
        let st = |cur, a: &[A]| order_status_from_authz(cur, a, t0(), exp);
        assert_eq!(st(OrderStatus::Pending, &[A::Valid, A::Pending]), OrderStatus::Pending);
        assert_eq!(st(OrderStatus::Pending, &[A::Valid, A::Valid]), OrderStatus::Ready);
        assert_eq!(
            st(OrderStatus::Pending, &[A::Valid, A::Deactivated]),
            OrderStatus::Invalid
        );
        assert_eq!(st(OrderStatus::Ready, &[A::Valid, A::Revoked]), OrderStatus::Invalid);
        assert_eq!(st(OrderStatus::Pending, &[]), OrderStatus::Pending);
        assert_eq!(st(OrderStatus::Processing, &[A::Expired]), OrderStatus::Processing);
        let late = exp + Duration::seconds(1);
        assert_eq!(
            order_status_from_authz(OrderStatus::Ready, &[A::Valid], late, exp),
            OrderStatus::Invalid
        );
        assert_eq!(
            order_status_from_authz(OrderStatus::Processing, &[A::Valid], late, exp),
            OrderStatus::Processing
        );
    }

    #[test]
    fn finalize_needs_a_ready_order() {
        use AuthzStatus as A;
        let exp = t0() + Duration::days(7);
        assert!(can_finalize(OrderStatus::Pending, &[A::Valid], t0(), exp).is_ok());
        let e = can_finalize(OrderStatus::Pending, &[A::Pending], t0(), exp).unwrap_err();
        assert_eq!(
            e,
            StatusError::OrderNotReady {
                status: "pending".into()
            }
        );
        assert!(can_finalize(OrderStatus::Valid, &[A::Valid], t0(), exp).is_err());
    }

    #[test]
    fn statuses_serialize_lowercase() {
        assert_eq!(
            serde_json::to_string(&OrderStatus::Processing).unwrap(),
            "\"processing\""
        );
        assert_eq!(
            serde_json::from_str::<AuthzStatus>("\"deactivated\"").unwrap(),
            AuthzStatus::Deactivated
        );
    }
}
