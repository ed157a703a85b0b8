//! One published CRL as served over HTTP: DER, PEM, and the cache validators.
use time::OffsetDateTime;

/// A signed CRL ready to serve.
#[derive(Clone, Debug)]
pub struct Published {
    /// The CRL, DER.
    pub der: Vec<u8>,
    /// The same, PEM (`X509 CRL`).
    pub pem: String,
    /// Strong validator: the CRL Number (unique per issuer) in quotes.
    pub etag: String,
    /// thisUpdate, as Last-Modified.
    pub this_update: OffsetDateTime,
    /// nextUpdate.
    pub next_update: OffsetDateTime,
    /// The CRL Number.
    pub number: u64,
}

impl Published {
    /// Wraps a signed CRL.
    pub fn new(der: Vec<u8>, number: u64, this_update: OffsetDateTime, next_update: OffsetDateTime) -> Published {
        Published {
            pem: ca_core::pem::encode("X509 CRL", &der),
            etag: format!("\"crl-{number}\""),
            der,
            this_update,
            next_update,
            number,
        }
    }
}

/// `time` as an HTTP date (RFC 9110 IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_date_format() {
        let t = time::OffsetDateTime::from_unix_timestamp(784_111_777).unwrap();
        assert_eq!(super::http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
