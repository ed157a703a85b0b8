//! ACME Renewal Information (RFC 9773): the certificate identifier `base64url(AKI keyIdentifier)
//! "." base64url(serial INTEGER content)` and the suggested renewal window.
use super::base64url;

/// The RFC 9773 4.1 certID of a certificate.
pub fn cert_id(aki_key_id: &[u8], serial: &[u8]) -> String {
    format!("{}.{}", base64url::encode(aki_key_id), base64url::encode(serial))
}

/// Splits a certID into (AKI keyIdentifier, serial content bytes).
pub fn parse_cert_id(text: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (aki, serial) = text
        .split_once('.')
        .ok_or_else(|| format!("certID {text:?} is not base64url(AKI).base64url(serial)"))?;
    let aki = base64url::decode(aki).map_err(|_| format!("certID {text:?}: the AKI part is not base64url"))?;
    let serial = base64url::decode(serial).map_err(|_| format!("certID {text:?}: the serial part is not base64url"))?;
    if aki.is_empty() || serial.is_empty() {
        return Err(format!("certID {text:?} has an empty part"));
    }
    Ok((aki, serial))
}

/// A suggested renewal window, unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// The window clients should renew in: the third sixth of the remaining lifetime counted from
/// the end (from 2/3 to 5/6 of the validity), which leaves a sixth of the lifetime to retry
/// before expiry. A revoked certificate should be replaced now: the window lies in the past.
pub fn suggested_window(not_before: i64, not_after: i64, revoked: bool, now: i64) -> Window {
    if revoked {
        return Window {
            start: now - 2 * 86400,
            end: now - 86400,
        };
    }
    let lifetime = (not_after - not_before).max(0);
    Window {
        start: not_before + lifetime * 2 / 3,
        end: not_before + lifetime * 5 / 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_id_matches_rfc_9773_example() {
        // RFC 9773 4.1: AKI 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4,
        // serial 00:87:65:43:21.
        let aki = hex::decode("69885B6B87464041E1B37B847BA0AE2CDE01C8D4").unwrap();
        let serial = hex::decode("0087654321").unwrap();
        let id = cert_id(&aki, &serial);
        assert_eq!(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
        assert_eq!(parse_cert_id(&id).unwrap(), (aki, serial));
        assert!(parse_cert_id("nodot").is_err());
        assert!(parse_cert_id("a.!").is_err());
    }

    #[test]
    fn window_is_inside_the_lifetime_or_past_when_revoked() {
        let w = suggested_window(0, 90 * 86400, false, 10);
        assert_eq!((w.start, w.end), (60 * 86400, 75 * 86400));
        let r = suggested_window(0, 90 * 86400, true, 1000 * 86400);
        assert!(r.end < 1000 * 86400 && r.start < r.end);
    }
}
