//! The session key of KIP-507: the leader puts a random key in the config topic (`session-key`),
//! and with the `sessioned` protocol every internal request between workers (task configurations
//! sent to the leader) carries an HMAC of its body made with it, so that only a worker that
//! reads the config topic can reconfigure connectors.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value as Json};
use sha2::Sha256;

/// The only algorithm Kafka's default `inter.worker.signature.algorithm` names.
pub const ALGORITHM: &str = "HmacSHA256";
/// Request headers, as Kafka names them.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";

#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub key: Vec<u8>,
    pub algorithm: String,
    /// Milliseconds since the epoch.
    pub created: i64,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        f.debug_struct("SessionKey")
            .field("algorithm", &self.algorithm)
            .field("created", &self.created)
            .finish()
    }
}

/// Why an internal request was refused; the REST layer answers 400 / 403 as Kafka does.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("Internal request missing required signature")]
    Missing,
    #[error("Internal request contained invalid signature")]
    Invalid,
    #[error("Internal request signature algorithm {0} is not supported")]
    Algorithm(String),
    #[error("This worker has no session key yet to check the request with")]
    NoKey,
}

impl SessionKey {
    /// A new random 256-bit key.
    pub fn generate(now_ms: i64) -> Result<SessionKey, getrandom::Error> {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(SessionKey {
            key,
            algorithm: ALGORITHM.to_string(),
            created: now_ms,
        })
    }

    /// The `session-key` record's value, as Kafka writes it.
    pub fn to_record(&self) -> Vec<u8> {
        json!({
            "key": STANDARD.encode(&self.key),
            "algorithm": self.algorithm,
            "creation-timestamp": self.created,
        })
        .to_string()
        .into_bytes()
    }

    pub fn from_record(value: &Json) -> Option<SessionKey> {
        Some(SessionKey {
            key: STANDARD.decode(value.get("key")?.as_str()?).ok()?,
            algorithm: value.get("algorithm")?.as_str()?.to_string(),
            created: value.get("creation-timestamp")?.as_i64()?,
        })
    }

    fn mac(&self, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(body);
        mac
    }

    /// The signature header's value for a request body.
    pub fn sign(&self, body: &[u8]) -> String {
        STANDARD.encode(self.mac(body).finalize().into_bytes())
    }

    /// Checks a request's signature headers against its body.
    pub fn verify(
        &self,
        body: &[u8],
        signature: Option<&str>,
        algorithm: Option<&str>,
    ) -> Result<(), SignatureError> {
        let (Some(signature), Some(algorithm)) = (signature, algorithm) else {
            return Err(SignatureError::Missing);
        };
        if algorithm != ALGORITHM {
            return Err(SignatureError::Algorithm(algorithm.to_string()));
        }
        let given = STANDARD
            .decode(signature)
            .map_err(|_| SignatureError::Invalid)?;
        // Constant-time comparison.
        self.mac(body)
            .verify_slice(&given)
            .map_err(|_| SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let key = SessionKey::generate(1).expect("random key");
        let body = br#"[{"task.class":"x"}]"#;
        let signature = key.sign(body);
        assert_eq!(key.verify(body, Some(&signature), Some(ALGORITHM)), Ok(()));
        assert_eq!(
            key.verify(b"[]", Some(&signature), Some(ALGORITHM)),
            Err(SignatureError::Invalid)
        );
        let other = SessionKey::generate(1).expect("random key");
        assert_eq!(
            other.verify(body, Some(&signature), Some(ALGORITHM)),
            Err(SignatureError::Invalid)
        );
        assert_eq!(key.verify(body, None, None), Err(SignatureError::Missing));
        assert!(matches!(
            key.verify(body, Some(&signature), Some("HmacMD5")),
            Err(SignatureError::Algorithm(_))
        ));
    }

    #[test]
    fn the_record_reads_back() {
        let key = SessionKey::generate(42).expect("random key");
        let json: Json = serde_json::from_slice(&key.to_record()).expect("json");
        assert_eq!(json["algorithm"], ALGORITHM);
        assert_eq!(json["creation-timestamp"], 42);
        assert_eq!(SessionKey::from_record(&json), Some(key));
    }

    #[test]
    fn a_known_vector_matches_javas_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = SessionKey {
            key: b"Jefe".to_vec(),
            algorithm: ALGORITHM.into(),
            created: 0,
        };
        let mac = key
            .mac(b"what do ya want for nothing?")
            .finalize()
            .into_bytes();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
