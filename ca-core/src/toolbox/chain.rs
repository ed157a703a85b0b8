//! Relations between certificates: who issued whom, and ordering a bundle leaf -> intermediates
//! -> root (guide 004 3.2: "the certificate of the CA that issued the chain first, and the
//! certificate of the root CA as the last in the chain").
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::ToolError;

/// Parses DER, naming the failure.
pub fn parse(der: &[u8]) -> Result<X509Certificate<'_>, ToolError> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| ToolError::Format(format!("certificate is malformed: {e}")))
}

/// How messages name a certificate: its CN, else its whole subject.
pub fn label(der: &[u8]) -> String {
    match parse(der) {
        Ok(c) => c
            .subject()
            .iter_common_name()
            .last()
            .and_then(|cn| cn.as_str().ok().map(str::to_string))
            .unwrap_or_else(|| super::describe::name_text(c.subject())),
        Err(_) => "<malformed certificate>".into(),
    }
}

/// Whether `parent`'s subject is `child`'s issuer (byte for byte, as RFC 5280 name chaining
/// is done in practice).
pub fn names_chain(child: &[u8], parent: &[u8]) -> bool {
    match (parse(child), parse(parent)) {
        (Ok(c), Ok(p)) => c.issuer().as_raw() == p.subject().as_raw(),
        _ => false,
    }
}

/// Whether `parent`'s key verifies `child`'s signature (and the names chain).
pub fn issued_by(child: &[u8], parent: &[u8]) -> bool {
    match (parse(child), parse(parent)) {
        (Ok(c), Ok(p)) => {
            c.issuer().as_raw() == p.subject().as_raw() && c.verify_signature(Some(p.public_key())).is_ok()
        }
        _ => false,
    }
}

/// Self-issued with a signature its own key verifies: a root.
pub fn is_self_signed(der: &[u8]) -> bool {
    issued_by(der, der)
}

/// A bundle in order, and what was left out.
#[derive(Debug, Default)]
pub struct Ordered {
    /// Leaf first, then each issuer; the root last if `include_root`.
    pub chain: Vec<Vec<u8>>,
    /// The root found (self-signed), whether or not it is in `chain`.
    pub root: Option<Vec<u8>>,
    /// Labels of certificates given more than once.
    pub duplicates: Vec<String>,
    /// Labels of certificates not on the leaf's path.
    pub unrelated: Vec<String>,
}

/// Orders `certs` (the leaf's file first) into a path from a leaf up to its root. The leaf is
/// the first certificate that issued none of the others.
pub fn order(certs: Vec<Vec<u8>>, include_root: bool) -> Result<Ordered, ToolError> {
    let mut out = Ordered::default();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    for c in certs {
        parse(&c)?;
        if pool.contains(&c) {
            out.duplicates.push(label(&c));
        } else {
            pool.push(c);
        }
    }
    let leaf_idx = pool
        .iter()
        .position(|c| !pool.iter().any(|o| o != c && issued_by(o, c)))
        .ok_or_else(|| ToolError::Format("no leaf: every certificate issued another one (a loop?)".into()))?;
    let mut chain = vec![pool.remove(leaf_idx)];
    loop {
        let cur = chain.last().expect("non-empty");
        if is_self_signed(cur) {
            if chain.len() > 1 {
                out.root = chain.pop();
                if include_root {
                    chain.extend(out.root.clone());
                }
            }
            break;
        }
        match pool.iter().position(|p| issued_by(cur, p)) {
            Some(i) => chain.push(pool.remove(i)),
            None => break,
        }
    }
    out.unrelated = pool.iter().map(|c| label(c)).collect();
    out.chain = chain;
    Ok(out)
}
