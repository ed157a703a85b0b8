//! PEM text in and out. Reading is lenient about what surrounds the blocks (the text that
//! `openssl x509 -text` and Windows exports put around them); writing is strict: no blank lines,
//! LF endings, one trailing newline (guide 004 1.2.4).
use der::pem::LineEnding;

/// One PEM block's label and DER.
pub type Block = (String, Vec<u8>);

/// Encodes DER as a PEM block ending in a newline.
pub fn encode(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, LineEnding::LF, der).expect("PEM encoding of in-memory DER cannot fail")
}

/// Splits PEM text into its `-----BEGIN ... -----END ...-----` blocks, ignoring text around them.
pub fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("-----BEGIN ") {
            cur = Some(String::new());
        }
        if let Some(buf) = cur.as_mut() {
            let l = line.trim();
            if !l.is_empty() {
                buf.push_str(l);
                buf.push('\n');
            }
            if line.starts_with("-----END ") {
                out.extend(cur.take());
            }
        }
    }
    out
}

/// Decodes every block; the error names the block that is broken.
pub fn decode_all(text: &str) -> Result<Vec<Block>, String> {
    blocks(text)
        .iter()
        .enumerate()
        .map(|(i, b)| {
            der::pem::decode_vec(b.as_bytes())
                .map(|(l, d)| (l.to_string(), d))
                .map_err(|e| format!("PEM block {} is damaged: {e}", i + 1))
        })
        .collect()
}

/// Every certificate in PEM text or a single DER certificate.
pub fn certificates(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    match std::str::from_utf8(data) {
        Ok(text) if text.contains("-----BEGIN") => {
            let certs: Vec<Vec<u8>> = decode_all(text)?
                .into_iter()
                .filter(|(l, _)| l == "CERTIFICATE" || l == "X509 CERTIFICATE" || l == "TRUSTED CERTIFICATE")
                .map(|(_, d)| d)
                .collect();
            if certs.is_empty() {
                Err("no CERTIFICATE block found".into())
            } else {
                Ok(certs)
            }
        }
        _ if data.first() == Some(&0x30) => Ok(vec![data.to_vec()]),
        _ => Err("neither PEM nor DER".into()),
    }
}

/// Concatenates certificates as PEM: leaf first, no blank lines, one trailing newline.
pub fn chain(certs: &[&[u8]]) -> String {
    certs.iter().map(|c| encode("CERTIFICATE", c)).collect()
}
