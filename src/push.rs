//! Web Push for closed tabs: direct messages and mentions reach a person's browsers while no
//! page of theirs is open, through each browser's push service (RFC 8030). Payloads are
//! encrypted to the browser (RFC 8291, by `web-push-native`); the server identifies itself
//! with its VAPID key (RFC 8292), made at first start and kept with the instance's secrets.
//!
//! One thread sends, apart from the request path: it takes new messages from the database
//! (`model::push::take_new_messages`, so that several processes never send one twice) about a
//! second after they are written.

use std::sync::Arc;
use std::time::Duration;

use crate::db::Conn;
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde::Serialize;

use crate::db::Pool;
use crate::error::AppError;
use crate::model::conversation::{Kind, Notify};
use crate::model::message::{self, MessageKind};
use crate::model::push::{self, Subscription};
use crate::model::{UserId, secret, user};
use crate::paths;
use crate::realtime::Hub;

const VAPID_KEY: &str = "vapid-key";
/// How long a push service keeps a message for a browser that is offline.
const TTL_SECONDS: u64 = 24 * 60 * 60;
/// VAPID tokens are valid for at most 24 hours (RFC 8292); ours for 12.
const TOKEN_LIFETIME_SECONDS: i64 = 12 * 60 * 60;
const BODY_PREVIEW_CHARS: usize = 140;
const SEND_EVERY: Duration = Duration::from_secs(1);
const MESSAGES_PER_ROUND: usize = 200;

/// The server's VAPID key pair.
pub struct VapidKey {
    signing: SigningKey,
    /// The public key as browsers take it (`applicationServerKey`): base64url, uncompressed.
    pub public: String,
}

impl VapidKey {
    pub fn from_bytes(bytes: &[u8]) -> Option<VapidKey> {
        let signing = SigningKey::from_slice(bytes).ok()?;
        let point = signing.verifying_key().to_encoded_point(false);
        Some(VapidKey {
            public: Base64UrlUnpadded::encode_string(point.as_bytes()),
            signing,
        })
    }

    /// The instance's key, made the first time (a random scalar is valid but for a chance of
    /// one in 2^32; then another is drawn).
    pub fn load_or_create(conn: &mut Conn) -> Result<VapidKey, AppError> {
        for _ in 0..4 {
            let bytes = secret::get_or_create(conn, VAPID_KEY, 32)?;
            if let Some(key) = VapidKey::from_bytes(&bytes) {
                return Ok(key);
            }
            secret::remove(conn, VAPID_KEY)?;
        }
        Err(AppError::internal("no valid VAPID key could be made"))
    }

    /// The `Authorization` header for a push to `endpoint` (RFC 8292): a JWT signed with
    /// ES256 naming the push service's origin, an expiry and our contact, and our public key.
    pub fn authorization(&self, endpoint: &str, contact: &str, now: i64) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: i64,
            sub: &'a str,
        }
        let header = Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::to_vec(&Claims {
            aud: origin_of(endpoint),
            exp: now + TOKEN_LIFETIME_SECONDS,
            sub: contact,
        })
        .unwrap_or_default();
        let signed = format!("{header}.{}", Base64UrlUnpadded::encode_string(&claims));
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let signature = Base64UrlUnpadded::encode_string(&signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public)
    }
}

/// `scheme://host[:port]` of a URL: the audience of a VAPID token.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| after_scheme + at);
    &url[..end]
}

/// Encrypts `payload` to the browser's keys (RFC 8291, `aes128gcm`).
pub fn encrypt(payload: &[u8], p256dh: &[u8], auth: &[u8]) -> Result<Vec<u8>, AppError> {
    let public = p256::PublicKey::from_sec1_bytes(p256dh)
        .map_err(|_| AppError::internal("a push subscription's key is not a P-256 point"))?;
    if auth.len() != 16 {
        return Err(AppError::internal(
            "a push subscription's secret is not 16 bytes",
        ));
    }
    let auth = web_push_native::Auth::clone_from_slice(auth);
    web_push_native::encrypt(payload.to_vec(), &public, &auth)
        .map_err(|e| AppError::internal(format!("push encryption: {e}")))
}

/// What the service worker shows.
#[derive(Serialize)]
struct Payload<'a> {
    title: &'a str,
    body: &'a str,
    url: &'a str,
    /// One notification per conversation: a newer one replaces it.
    tag: &'a str,
}

/// Whether this message asks `subscription`'s person for attention when their tabs are closed:
/// direct messages and mentions, as far as the conversation's level allows.
fn asks_attention(kind: Kind, mentioned: bool, notify: Notify) -> bool {
    match notify {
        Notify::All => kind == Kind::Direct || mentioned,
        Notify::Mentions => mentioned,
        Notify::Nothing => false,
    }
}

pub struct Sender {
    key: VapidKey,
    /// Made at the first push: loading the system's certificates costs about 2 MB, which a
    /// server where nobody turned notifications on should not carry.
    agent: std::cell::OnceCell<ureq::Agent>,
    hub: Arc<Hub>,
    hold_seconds: i64,
}

/// Starts the sending thread; it runs for the life of the process.
pub fn spawn(pool: Pool, key: VapidKey, hub: Arc<Hub>, hold: Duration) -> std::io::Result<()> {
    let sender = Sender {
        key,
        agent: std::cell::OnceCell::new(),
        hub,
        hold_seconds: i64::try_from(hold.as_secs()).unwrap_or(i64::MAX),
    };
    std::thread::Builder::new()
        .name("bavard-push".into())
        .spawn(move || {
            loop {
                std::thread::sleep(SEND_EVERY);
                let Ok(mut conn) = pool.get() else {
                    continue;
                };
                if let Err(e) = sender.round(&mut conn) {
                    tracing::warn!("web push: {e}");
                }
            }
        })?;
    Ok(())
}

impl Sender {
    fn agent(&self) -> Result<&ureq::Agent, native_tls::Error> {
        if let Some(agent) = self.agent.get() {
            return Ok(agent);
        }
        let tls = native_tls::TlsConnector::new()?;
        let agent = ureq::AgentBuilder::new()
            .tls_connector(Arc::new(tls))
            .timeout(Duration::from_secs(15))
            // A push service answers; it never sends us elsewhere.
            .redirects(0)
            .build();
        Ok(self.agent.get_or_init(|| agent))
    }

    fn round(&self, conn: &mut Conn) -> Result<(), AppError> {
        for event in push::take_new_messages(conn, MESSAGES_PER_ROUND)? {
            let Some(message) = message::find(conn, event.conversation, event.message)? else {
                continue;
            };
            if message.kind != MessageKind::Text || message.deleted {
                continue;
            }
            let Some(info) = self.hub.conversation(conn, event.conversation)? else {
                continue;
            };
            let author = message.author.as_ref().map(|a| a.id);
            let from = message
                .author
                .as_ref()
                .map(|a| a.display_name.as_str())
                .or(message.bot.as_deref())
                .unwrap_or_default();
            let title = match info.kind {
                Kind::Direct => from.to_owned(),
                Kind::Group => format!("{from} · {}", info.title),
            };
            let body: String = if message.body.is_empty() {
                "📎".to_owned()
            } else {
                message.body.chars().take(BODY_PREVIEW_CHARS).collect()
            };
            let url = paths::message(event.conversation, event.message);
            let tag = format!("c{}", event.conversation);
            let payload = serde_json::to_vec(&Payload {
                title: &title,
                body: &body,
                url: &url,
                tag: &tag,
            })
            .map_err(|e| AppError::internal(e.to_string()))?;
            for subscription in push::of_members(conn, event.conversation, author)? {
                let mentioned = message.mentioned.calls_on(subscription.user);
                if asks_attention(info.kind, mentioned, subscription.notify)
                    && !self.has_a_page_open(subscription.user)
                {
                    self.send(conn, &subscription, &payload);
                }
            }
        }
        Ok(())
    }

    /// An open page shows its own notifications (`app.js`); a push would say it twice.
    fn has_a_page_open(&self, person: UserId) -> bool {
        let polled = self.hub.last_poll(person);
        user::presence(polled, crate::model::now(), self.hold_seconds)
            == Some(user::Presence::Online)
    }

    fn send(&self, conn: &Conn, subscription: &Subscription, payload: &[u8]) {
        let body = match encrypt(payload, &subscription.p256dh, &subscription.auth) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!("web push: {e}");
                return;
            }
        };
        let authorization = self.key.authorization(
            &subscription.endpoint,
            &subscription.contact,
            crate::model::now(),
        );
        let agent = match self.agent() {
            Ok(agent) => agent,
            Err(e) => {
                tracing::warn!("web push: no TLS: {e}");
                return;
            }
        };
        let sent = agent
            .post(&subscription.endpoint)
            .set("TTL", &TTL_SECONDS.to_string())
            .set("Urgency", "high")
            .set("Content-Encoding", "aes128gcm")
            .set("Content-Type", "application/octet-stream")
            .set("Authorization", &authorization)
            .send_bytes(&body);
        match sent {
            Ok(_) => {}
            // The browser unsubscribed, or the service dropped it: it will never be reached.
            Err(ureq::Error::Status(404 | 410, _)) => {
                if let Err(e) = push::forget(conn, subscription.id) {
                    tracing::warn!("web push: {e}");
                }
            }
            Err(e) => tracing::warn!("web push to {}: {e}", origin_of(&subscription.endpoint)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    fn decode(text: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(text).unwrap()
    }

    /// RFC 8291, appendix A: the browser's keys and secret, and the message encrypted to them.
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const RFC_CIPHERTEXT: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";
    const RFC_PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";

    #[test]
    fn payloads_are_encrypted_as_rfc_8291_says_a_browser_decrypts_them() {
        let browser = p256::SecretKey::from_slice(&decode(UA_PRIVATE)).unwrap();
        let auth = web_push_native::Auth::clone_from_slice(&decode(AUTH));
        // The decryption that checks ours is the RFC's own example, first.
        let rfc = web_push_native::decrypt(decode(RFC_CIPHERTEXT), &browser, &auth).unwrap();
        assert_eq!(rfc, RFC_PLAINTEXT);

        let ours = encrypt(RFC_PLAINTEXT, &decode(UA_PUBLIC), &decode(AUTH)).unwrap();
        let record_size = u32::from_be_bytes([ours[16], ours[17], ours[18], ours[19]]);
        assert!(
            record_size as usize >= RFC_PLAINTEXT.len() + 17,
            "one record"
        );
        assert_eq!(ours[20], 65, "the key id is our ephemeral public key");
        assert_ne!(
            ours,
            decode(RFC_CIPHERTEXT),
            "a fresh salt and key every time"
        );
        let decrypted = web_push_native::decrypt(ours, &browser, &auth).unwrap();
        assert_eq!(decrypted, RFC_PLAINTEXT);

        assert!(
            encrypt(b"x", &[4; 65], &decode(AUTH)).is_err(),
            "not a point"
        );
    }

    /// RFC 8292, section 2.4: a token and the public key that verifies it.
    const RFC_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA";
    const RFC_KEY: &str =
        "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs";

    /// Checks a `vapid t=…, k=…` header as a push service does, and returns its claims.
    fn verified_claims(header: &str) -> serde_json::Value {
        let rest = header.strip_prefix("vapid t=").expect("the vapid scheme");
        let (token, key) = rest.split_once(", k=").expect("t and k");
        let key = VerifyingKey::from_sec1_bytes(&decode(key)).expect("k is a P-256 point");
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let signature = Signature::from_slice(&decode(signature)).expect("r and s");
        key.verify(signed.as_bytes(), &signature)
            .expect("the signature verifies");
        let (header, claims) = signed.split_once('.').unwrap();
        let header: serde_json::Value = serde_json::from_slice(&decode(header)).unwrap();
        assert_eq!(header["alg"], "ES256");
        serde_json::from_slice(&decode(claims)).unwrap()
    }

    #[test]
    fn the_vapid_header_is_an_es256_token_a_push_service_verifies() {
        // The verification itself, on the RFC's example.
        let rfc = verified_claims(&format!("vapid t={RFC_TOKEN}, k={RFC_KEY}"));
        assert_eq!(rfc["aud"], "https://push.example.net");

        let key = VapidKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(
            decode(&key.public).len(),
            65,
            "uncompressed, for applicationServerKey"
        );
        let header = key.authorization(
            "https://push.example.net:8443/wpush/v2/abc?x=1",
            "https://chat.example.org",
            1_700_000_000,
        );
        let claims = verified_claims(&header);
        assert_eq!(
            claims["aud"], "https://push.example.net:8443",
            "the origin, port kept"
        );
        assert_eq!(claims["sub"], "https://chat.example.org");
        assert_eq!(claims["exp"], 1_700_000_000 + TOKEN_LIFETIME_SECONDS);
        assert_eq!(
            header,
            key.authorization(
                "https://push.example.net:8443/wpush/v2/abc?x=1",
                "https://chat.example.org",
                1_700_000_000,
            ),
            "deterministic signatures (RFC 6979): no randomness to run out of"
        );
        assert!(VapidKey::from_bytes(&[0; 32]).is_none(), "zero is no key");
    }

    #[test]
    fn only_direct_messages_and_mentions_ask_as_far_as_the_level_allows() {
        assert!(asks_attention(Kind::Direct, false, Notify::All));
        assert!(!asks_attention(Kind::Group, false, Notify::All));
        assert!(asks_attention(Kind::Group, true, Notify::Mentions));
        assert!(!asks_attention(Kind::Direct, false, Notify::Mentions));
        assert!(!asks_attention(Kind::Direct, true, Notify::Nothing));
    }
}
