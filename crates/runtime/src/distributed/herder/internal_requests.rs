//! Requests between workers: task configurations sent to the leader (`POST
//! /connectors/{name}/tasks`), signed with the session key when the group speaks `sessioned`,
//! and checked on arrival.

use ferry_api::Props;

use super::DistributedHerder;
use crate::distributed::protocol::Protocol;
use crate::distributed::session_key::{SignatureError, ALGORITHM_HEADER, SIGNATURE_HEADER};
use crate::herder::{not_found, HerderError, InternalSignature};

impl DistributedHerder {
    /// Posts a connector's task configurations to the leader, as Kafka's workers do.
    pub(super) async fn post_task_configs_to_leader(
        &self,
        name: &str,
        configs: &[Props],
    ) -> Result<(), HerderError> {
        let (leader, protocol, key) = {
            let shared = self.shared();
            (
                shared.leader_url.clone(),
                shared.protocol,
                shared.config.session_key.clone(),
            )
        };
        let leader =
            leader.ok_or_else(|| HerderError::Conflict("the group is rebalancing".into()))?;
        let body = serde_json::to_vec(configs).map_err(|e| {
            HerderError::Internal(format!("cannot encode task configurations: {e}"))
        })?;
        let signature = match (protocol, key) {
            (Some(Protocol::Sessioned), Some(key)) => Some(key.sign(&body)),
            (Some(Protocol::Sessioned), None) => {
                return Err(HerderError::Unavailable(
                    "no session key has been read from the config topic yet".into(),
                ))
            }
            _ => None,
        };
        let url = format!(
            "{}/connectors/{}/tasks?forward=false",
            leader.trim_end_matches('/'),
            encode_path_segment(name)
        );
        let answer = tokio::task::spawn_blocking(move || {
            let mut request = ureq::post(&url)
                .timeout(std::time::Duration::from_secs(30))
                .set("Content-Type", "application/json");
            if let Some(signature) = &signature {
                request = request
                    .set(SIGNATURE_HEADER, signature)
                    .set(ALGORITHM_HEADER, crate::distributed::session_key::ALGORITHM);
            }
            match request.send_bytes(&body) {
                Ok(_) => Ok(()),
                Err(ureq::Error::Status(code, r)) => {
                    let message = format!(
                        "the leader answered {code}: {}",
                        r.into_string().unwrap_or_default()
                    );
                    // The leader refused these configurations for good (the connector was
                    // stopped or deleted meanwhile): asking again would not change its mind.
                    Err(match code {
                        400 => HerderError::BadRequest(message),
                        404 => HerderError::NotFound(message),
                        _ => HerderError::Internal(message),
                    })
                }
                Err(e) => Err(HerderError::Internal(format!(
                    "cannot reach the leader at {url}: {e}"
                ))),
            }
        })
        .await
        .map_err(|e| HerderError::Internal(e.to_string()))?;
        answer
    }

    /// The leader's side: checks the signature (with the `sessioned` protocol), then writes the
    /// task configurations.
    pub(super) async fn accept_task_configs(
        &self,
        name: &str,
        body: &[u8],
        signature: InternalSignature,
    ) -> Result<(), HerderError> {
        if !self.exists(name) {
            return Err(not_found(name));
        }
        self.require_leader().await?;
        let (protocol, key) = {
            let shared = self.shared();
            (shared.protocol, shared.config.session_key.clone())
        };
        if protocol == Some(Protocol::Sessioned) {
            let key =
                key.ok_or_else(|| HerderError::Unavailable(SignatureError::NoKey.to_string()))?;
            key.verify(
                body,
                signature.signature.as_deref(),
                signature.algorithm.as_deref(),
            )
            .map_err(|e| match e {
                SignatureError::Invalid => HerderError::Forbidden(e.to_string()),
                _ => HerderError::BadRequest(e.to_string()),
            })?;
        }
        let configs: Vec<Props> = serde_json::from_slice(body).map_err(|e| {
            HerderError::BadRequest(format!(
                "task configurations must be a list of string maps: {e}"
            ))
        })?;
        self.write_task_configs(name, &configs).await
    }
}

/// Percent-encodes what a URL path segment cannot hold as it is.
fn encode_path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
