//! Membership of the worker group through the broker's group coordinator: FindCoordinator,
//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup with protocol type `connect`. librdkafka cannot
//! speak this protocol type, so the requests are encoded with the `kafka-protocol` crate and sent
//! over a plain connection.

use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiVersionsRequest, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, RequestHeader, ResponseHeader, SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Kafka error codes the membership acts on.
pub mod codes {
    pub const NONE: i16 = 0;
    pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const NOT_COORDINATOR: i16 = 16;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
}

#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("cannot reach the Kafka broker at {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connection to the group coordinator failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode or decode a group request: {0}")]
    Codec(String),
    #[error("the group coordinator answered error code {0}")]
    Broker(i16),
    #[error("the group coordinator did not answer in time")]
    Timeout,
}

impl GroupError {
    /// The coordinator moved or went away: find it again.
    pub fn needs_new_coordinator(&self) -> bool {
        match self {
            GroupError::Broker(c) => matches!(
                *c,
                codes::NOT_COORDINATOR
                    | codes::COORDINATOR_NOT_AVAILABLE
                    | codes::COORDINATOR_LOAD_IN_PROGRESS
            ),
            _ => true,
        }
    }
}

/// One connection to one broker, sending requests one at a time.
struct Connection {
    stream: TcpStream,
    correlation: i32,
    client_id: String,
}

impl Connection {
    async fn open(addr: &str, client_id: &str) -> Result<Connection, GroupError> {
        let stream = tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| GroupError::Timeout)?
            .map_err(|source| GroupError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            correlation: 0,
            client_id: client_id.to_string(),
        })
    }

    async fn send<R: Request>(
        &mut self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, GroupError> {
        self.send_within(request, version, IO_TIMEOUT).await
    }

    /// `send`, waiting up to `timeout` for the answer.
    async fn send_within<R: Request>(
        &mut self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<R::Response, GroupError> {
        self.correlation += 1;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_string(self.client_id.clone())));
        let codec = |e: anyhow::Error| GroupError::Codec(e.to_string());
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .map_err(codec)?;
        request.encode(&mut body, version).map_err(codec)?;
        let exchange = async {
            self.stream
                .write_all(&(body.len() as i32).to_be_bytes())
                .await?;
            self.stream.write_all(&body).await?;
            let size = self.stream.read_i32().await?;
            let mut reply = vec![0u8; size.max(0) as usize];
            self.stream.read_exact(&mut reply).await?;
            Ok::<_, std::io::Error>(reply)
        };
        let reply = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| GroupError::Timeout)??;
        let mut buf = Bytes::from(reply);
        let response_header =
            ResponseHeader::decode(&mut buf, R::Response::header_version(version))
                .map_err(codec)?;
        if response_header.correlation_id != self.correlation {
            return Err(GroupError::Codec(format!(
                "answer {} to request {}",
                response_header.correlation_id, self.correlation
            )));
        }
        let response = R::Response::decode(&mut buf, version).map_err(codec)?;
        if buf.has_remaining() {
            tracing::debug!(left = buf.remaining(), "bytes left after a group response");
        }
        Ok(response)
    }
}

/// The versions ferry speaks of each request; the lower of these and the broker's are used.
const MAX_FIND_COORDINATOR: i16 = 3;
const MAX_JOIN_GROUP: i16 = 7;
const MAX_SYNC_GROUP: i16 = 5;
const MAX_HEARTBEAT: i16 = 4;
const MAX_LEAVE_GROUP: i16 = 4;
const MAX_DESCRIBE_GROUPS: i16 = 5;

#[derive(Debug, Clone, Copy)]
struct Versions {
    find_coordinator: i16,
    join_group: i16,
    sync_group: i16,
    heartbeat: i16,
    leave_group: i16,
    describe_groups: i16,
}

/// What a JoinGroup round told this member.
#[derive(Debug, Clone)]
pub struct Joined {
    pub generation: i32,
    pub member_id: String,
    pub leader_id: String,
    pub protocol: String,
    /// Every member's id and metadata; only the leader gets them.
    pub members: Vec<(String, Vec<u8>)>,
}

impl Joined {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

pub struct GroupSettings {
    pub bootstrap: Vec<String>,
    pub group_id: String,
    pub client_id: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
}

/// What a heartbeat learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The generation goes on.
    Stable,
    /// The group is rebalancing: rejoin, keeping what this worker runs.
    Rebalance,
    /// The coordinator no longer knows this member (its session expired): the others have been
    /// or will be given its work.
    Evicted,
}

/// The group as its coordinator describes it (DescribeGroups).
#[derive(Debug, Clone)]
pub struct DescribedGroup {
    /// Kafka's group state: `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, ...
    pub state: String,
    pub members: Vec<DescribedMember>,
}

/// One member of the group: the metadata it joined with and the assignment it was given (both
/// in the Connect protocol's encoding; the assignment is empty while a rebalance is under way).
#[derive(Debug, Clone)]
pub struct DescribedMember {
    pub member_id: String,
    pub client_host: String,
    pub metadata: Vec<u8>,
    pub assignment: Vec<u8>,
}

/// This worker's membership of the group.
pub struct GroupMember {
    settings: GroupSettings,
    coordinator: Option<(Connection, Versions)>,
    member_id: String,
    generation: i32,
    /// The last answer from the coordinator, to tell how long this worker has been out of touch.
    last_contact: Instant,
    /// The coordinator said it forgot this member since the flag was last taken.
    evicted: bool,
}

impl GroupMember {
    pub fn new(settings: GroupSettings) -> GroupMember {
        GroupMember {
            settings,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            last_contact: Instant::now(),
            evicted: false,
        }
    }

    /// How long since the coordinator last answered.
    pub fn out_of_contact_for(&self) -> Duration {
        self.last_contact.elapsed()
    }

    /// Whether the coordinator forgot this member since the last call.
    pub fn take_evicted(&mut self) -> bool {
        std::mem::take(&mut self.evicted)
    }

    fn forget_membership(&mut self) {
        self.member_id.clear();
        self.generation = -1;
        self.evicted = true;
    }

    /// Sends one request to the coordinator. A failed exchange leaves the connection in an
    /// unknown state (half a reply may be in flight), so it is dropped and found again next time.
    async fn request<R: Request>(
        &mut self,
        request: &R,
        version: impl Fn(&Versions) -> i16,
    ) -> Result<R::Response, GroupError> {
        // The coordinator holds a JoinGroup until every member rejoined, up to the rebalance
        // timeout: wait that long for it, as Kafka's clients do.
        let timeout = if R::KEY == JoinGroupRequest::KEY {
            IO_TIMEOUT.max(self.settings.rebalance_timeout + Duration::from_secs(5))
        } else {
            IO_TIMEOUT
        };
        let (conn, versions) = self.coordinator().await?;
        let version = version(versions);
        match conn.send_within(request, version, timeout).await {
            Ok(answer) => {
                self.last_contact = Instant::now();
                Ok(answer)
            }
            Err(e) => {
                self.coordinator = None;
                Err(e)
            }
        }
    }

    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// Forgets the coordinator so the next request looks for it again.
    pub fn reset_coordinator(&mut self) {
        self.coordinator = None;
    }

    async fn coordinator(&mut self) -> Result<&mut (Connection, Versions), GroupError> {
        if self.coordinator.is_none() {
            let found = self.find_coordinator().await?;
            self.coordinator = Some(found);
        }
        self.coordinator.as_mut().ok_or(GroupError::Timeout)
    }

    async fn find_coordinator(&self) -> Result<(Connection, Versions), GroupError> {
        let mut last = None;
        for addr in &self.settings.bootstrap {
            match self.find_via(addr).await {
                Ok(found) => return Ok(found),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(GroupError::Timeout))
    }

    async fn find_via(&self, bootstrap: &str) -> Result<(Connection, Versions), GroupError> {
        let mut conn = Connection::open(bootstrap, &self.settings.client_id).await?;
        let versions = negotiate(&mut conn).await?;
        let request = FindCoordinatorRequest::default()
            .with_key(StrBytes::from_string(self.settings.group_id.clone()))
            .with_key_type(0);
        let answer = conn.send(&request, versions.find_coordinator).await?;
        if answer.error_code != codes::NONE {
            return Err(GroupError::Broker(answer.error_code));
        }
        let addr = format!("{}:{}", answer.host.as_str(), answer.port);
        tracing::debug!(coordinator = %addr, "found the group coordinator");
        let mut coordinator = Connection::open(&addr, &self.settings.client_id).await?;
        let versions = negotiate(&mut coordinator).await?;
        Ok((coordinator, versions))
    }

    /// Asks the coordinator about the group, over a connection of its own: it never waits for,
    /// nor disturbs, this worker's membership.
    pub async fn describe(settings: GroupSettings) -> Result<DescribedGroup, GroupError> {
        let asking = GroupMember::new(settings);
        let (mut conn, versions) = asking.find_coordinator().await?;
        let request = DescribeGroupsRequest::default().with_groups(vec![GroupId(
            StrBytes::from_string(asking.settings.group_id.clone()),
        )]);
        let answer = conn.send(&request, versions.describe_groups).await?;
        let group = answer
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| GroupError::Codec("DescribeGroups answered no group".into()))?;
        if group.error_code != codes::NONE {
            return Err(GroupError::Broker(group.error_code));
        }
        Ok(DescribedGroup {
            state: group.group_state.to_string(),
            members: group
                .members
                .into_iter()
                .map(|m| DescribedMember {
                    member_id: m.member_id.to_string(),
                    client_host: m.client_host.to_string(),
                    metadata: m.member_metadata.to_vec(),
                    assignment: m.member_assignment.to_vec(),
                })
                .collect(),
        })
    }

    /// Joins (or rejoins) the group offering `protocols` (name, metadata), most preferred first.
    pub async fn join(&mut self, protocols: &[(String, Vec<u8>)]) -> Result<Joined, GroupError> {
        loop {
            let request = JoinGroupRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(
                    self.settings.group_id.clone(),
                )))
                .with_session_timeout_ms(self.settings.session_timeout.as_millis() as i32)
                .with_rebalance_timeout_ms(self.settings.rebalance_timeout.as_millis() as i32)
                .with_member_id(StrBytes::from_string(self.member_id.clone()))
                .with_protocol_type(StrBytes::from_static_str("connect"))
                .with_protocols(
                    protocols
                        .iter()
                        .map(|(name, metadata)| {
                            JoinGroupRequestProtocol::default()
                                .with_name(StrBytes::from_string(name.clone()))
                                .with_metadata(Bytes::from(metadata.clone()))
                        })
                        .collect(),
                );
            let answer = self.request(&request, |v| v.join_group).await?;
            match answer.error_code {
                codes::NONE => {
                    self.member_id = answer.member_id.to_string();
                    self.generation = answer.generation_id;
                    return Ok(Joined {
                        generation: answer.generation_id,
                        member_id: answer.member_id.to_string(),
                        leader_id: answer.leader.to_string(),
                        protocol: answer
                            .protocol_name
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        members: answer
                            .members
                            .into_iter()
                            .map(|m| (m.member_id.to_string(), m.metadata.to_vec()))
                            .collect(),
                    });
                }
                // The coordinator hands out the member id first; join again with it.
                codes::MEMBER_ID_REQUIRED => self.member_id = answer.member_id.to_string(),
                codes::UNKNOWN_MEMBER_ID => self.forget_membership(),
                // Kafka answers so while it is still loading the group after a coordinator move.
                codes::REBALANCE_IN_PROGRESS => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                other => {
                    let error = GroupError::Broker(other);
                    if error.needs_new_coordinator() {
                        self.reset_coordinator();
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Sends the leader's assignments (empty for followers) and returns this member's own.
    pub async fn sync(
        &mut self,
        protocol: &str,
        assignments: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<u8>, GroupError> {
        let request = SyncGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(
                self.settings.group_id.clone(),
            )))
            .with_generation_id(self.generation)
            .with_member_id(StrBytes::from_string(self.member_id.clone()))
            .with_protocol_type(Some(StrBytes::from_static_str("connect")))
            .with_protocol_name(Some(StrBytes::from_string(protocol.to_string())))
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(member, bytes)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(StrBytes::from_string(member))
                            .with_assignment(Bytes::from(bytes))
                    })
                    .collect(),
            );
        let answer = self.request(&request, |v| v.sync_group).await?;
        if answer.error_code == codes::UNKNOWN_MEMBER_ID {
            self.forget_membership();
        }
        if answer.error_code != codes::NONE {
            return Err(GroupError::Broker(answer.error_code));
        }
        Ok(answer.assignment.to_vec())
    }

    /// One heartbeat.
    pub async fn heartbeat(&mut self) -> Result<Beat, GroupError> {
        let request = HeartbeatRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(
                self.settings.group_id.clone(),
            )))
            .with_generation_id(self.generation)
            .with_member_id(StrBytes::from_string(self.member_id.clone()));
        let answer = self.request(&request, |v| v.heartbeat).await?;
        match answer.error_code {
            codes::NONE => Ok(Beat::Stable),
            codes::REBALANCE_IN_PROGRESS | codes::ILLEGAL_GENERATION => Ok(Beat::Rebalance),
            codes::UNKNOWN_MEMBER_ID => {
                self.forget_membership();
                Ok(Beat::Evicted)
            }
            other => {
                let error = GroupError::Broker(other);
                if error.needs_new_coordinator() {
                    self.reset_coordinator();
                }
                Err(error)
            }
        }
    }

    /// Leaves the group so that the others rebalance at once rather than after the session timeout.
    pub async fn leave(&mut self) {
        if self.member_id.is_empty() {
            return;
        }
        let member = StrBytes::from_string(self.member_id.clone());
        let group = GroupId(StrBytes::from_string(self.settings.group_id.clone()));
        let Ok((_, versions)) = self.coordinator().await else {
            return;
        };
        let version = versions.leave_group;
        let mut request = LeaveGroupRequest::default().with_group_id(group);
        if version >= 3 {
            request = request.with_members(vec![MemberIdentity::default().with_member_id(member)]);
        } else {
            request = request.with_member_id(member);
        }
        if let Err(e) = self.request(&request, |_| version).await {
            tracing::debug!("leaving the group failed: {e}");
        }
        self.member_id.clear();
    }
}

async fn negotiate(conn: &mut Connection) -> Result<Versions, GroupError> {
    let answer = conn.send(&ApiVersionsRequest::default(), 0).await?;
    let max = |key: i16, ours: i16| {
        answer
            .api_keys
            .iter()
            .find(|k| k.api_key == key)
            .map(|k| k.max_version.min(ours))
            .unwrap_or(0)
    };
    Ok(Versions {
        find_coordinator: max(FindCoordinatorRequest::KEY, MAX_FIND_COORDINATOR),
        join_group: max(JoinGroupRequest::KEY, MAX_JOIN_GROUP),
        sync_group: max(SyncGroupRequest::KEY, MAX_SYNC_GROUP),
        heartbeat: max(HeartbeatRequest::KEY, MAX_HEARTBEAT),
        leave_group: max(LeaveGroupRequest::KEY, MAX_LEAVE_GROUP),
        describe_groups: max(DescribeGroupsRequest::KEY, MAX_DESCRIBE_GROUPS),
    })
}
