//! Loading a PEM certificate and key into a rustls server configuration, shared by the HTTPS
//! listener and the email API's STARTTLS.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
#[error("TLS: {what}: {reason}")]
pub struct TlsError {
    what: String,
    reason: String,
}

impl TlsError {
    fn new(what: impl Into<String>, reason: &dyn std::fmt::Display) -> TlsError {
        TlsError {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// An acceptor for `cert` (a PEM chain, leaf first) and `key`, offering the ALPN `protocols`
/// in order (empty for none), with rustls' safe default versions (TLS 1.2 and 1.3).
pub fn acceptor(cert: &Path, key: &Path, protocols: &[&[u8]]) -> Result<TlsAcceptor, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::new(cert.display().to_string(), &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(cert.display().to_string(), &e))?;
    if certs.is_empty() {
        return Err(TlsError::new(
            cert.display().to_string(),
            &"no certificate in the file",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TlsError::new(key.display().to_string(), &e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsError::new("protocol versions", &e))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| TlsError::new("certificate and key", &e))?;
    config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}
