//! Serving files: what people sent in conversations (to members only) and profile pictures.

use std::io::{Read, Seek, SeekFrom};

use actix_files::{HttpRange, NamedFile};
use actix_web::body::SizedStream;
use actix_web::http::header::{
    self, Charset, ContentDisposition, ContentEncoding, DispositionParam, DispositionType,
    ExtendedValue,
};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::auth::SignedIn;
use crate::error::AppError;
use crate::media::Opened;
use crate::media::sealed::{self, Unsealed};
use crate::model::ConversationId;
use crate::model::attachment::{self, Attachment};
use crate::state::AppState;

/// A file's address never changes and its bytes never do: the browser may keep it for good,
/// but only for this person (`private`: what a member may see is not for a shared cache).
const CACHE_FOR_GOOD: &str = "private, max-age=31536000, immutable";
/// Even opened on its own, a file is not a page of ours: no script runs, nothing is loaded.
const FILE_POLICY: &str = "default-src 'none'; img-src 'self'; media-src 'self'; \
    style-src 'unsafe-inline'; sandbox";

pub async fn download(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let stored = member_file(&state, &me, path.into_inner())?;
    let attachment = &stored.attachment;
    let disposition = if attachment.kind.is_image() {
        DispositionType::Inline
    } else {
        DispositionType::Attachment
    };
    let served = Served {
        content_type: attachment
            .kind
            .mime()
            .parse()
            .unwrap_or(mime::APPLICATION_OCTET_STREAM),
        disposition: Some(content_disposition(disposition, attachment)),
    };
    let path = state.media.storage.file(&stored.stored_as);
    serve(&req, &state, path, served).await
}

pub async fn thumbnail(
    req: HttpRequest,
    me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let stored = member_file(&state, &me, path.into_inner())?;
    if stored.attachment.thumb.is_none() {
        return Err(AppError::NotFound);
    }
    let path = state.media.storage.thumbnail(&stored.stored_as);
    serve(&req, &state, path, Served::OUR_JPEG).await
}

/// A profile picture. Signed-in people only: pictures are for the people of the instance.
pub async fn avatar(
    req: HttpRequest,
    _me: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, u32)>,
) -> Result<HttpResponse, AppError> {
    let (key, size) = path.into_inner();
    if !crate::media::AVATAR_SIZES.contains(&size) {
        return Err(AppError::NotFound);
    }
    let file_path = state
        .media
        .storage
        .avatar(&key, size)
        .ok_or(AppError::NotFound)?;
    serve(&req, &state, file_path, Served::OUR_JPEG).await
}

/// How a stored file is served.
struct Served {
    content_type: mime::Mime,
    disposition: Option<ContentDisposition>,
}

impl Served {
    /// A picture we made ourselves (a thumbnail, a profile picture): always a JPEG.
    const OUR_JPEG: Served = Served {
        content_type: mime::IMAGE_JPEG,
        disposition: None,
    };
}

async fn serve(
    req: &HttpRequest,
    state: &AppState,
    path: std::path::PathBuf,
    served: Served,
) -> Result<HttpResponse, AppError> {
    let storage = state.media.storage.clone();
    let opened = web::block({
        let path = path.clone();
        move || storage.open_stored(&path)
    })
    .await?
    .map_err(|e| cannot_open(&path, e))?;
    let response = match opened {
        Opened::Plain(file) => {
            let file = NamedFile::from_file(file, &path)
                .map_err(|e| cannot_open(&path, e))?
                .set_content_type(served.content_type);
            let file = match served.disposition {
                Some(disposition) => file.set_content_disposition(disposition),
                None => file.disable_content_disposition(),
            };
            file.into_response(req)
        }
        Opened::Sealed(file) => unsealed_response(req, &path, file, served),
    };
    Ok(finish(response))
}

/// A sealed file's answer, with what `NamedFile` gives a plain one: a validator (the stored
/// name: a stored file never changes), a 304 for it, and one byte range (how browsers seek
/// in a video), read and opened chunk by chunk as the answer is sent.
fn unsealed_response(
    req: &HttpRequest,
    path: &std::path::Path,
    file: Unsealed<std::fs::File>,
    served: Served,
) -> HttpResponse {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let etag = header::EntityTag::new_strong(name);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, served.content_type.to_string()))
        .insert_header((header::ETAG, etag.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    if let Some(disposition) = served.disposition {
        response.insert_header((header::CONTENT_DISPOSITION, disposition));
    }
    let not_modified = match req.get_header::<header::IfNoneMatch>() {
        Some(header::IfNoneMatch::Any) => true,
        Some(header::IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
        None => false,
    };
    if not_modified {
        return response.status(StatusCode::NOT_MODIFIED).finish();
    }
    let size = file.len();
    let (mut offset, mut length) = (0, size);
    let range_applies = match req.get_header::<header::IfRange>() {
        None => true,
        Some(header::IfRange::EntityTag(tag)) => tag.strong_eq(&etag),
        Some(header::IfRange::Date(_)) => false,
    };
    let range = req
        .headers()
        .get(header::RANGE)
        .filter(|_| req.method() == Method::GET && range_applies)
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            value
                .split_once('=')
                .is_none_or(|(unit, _)| unit.eq_ignore_ascii_case("bytes"))
        });
    if let Some(range) = range {
        let Some(first) = HttpRange::parse(range, size)
            .ok()
            .and_then(|ranges| ranges.first().copied())
        else {
            return response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish();
        };
        (offset, length) = (first.start, first.length);
        response.status(StatusCode::PARTIAL_CONTENT).insert_header((
            header::CONTENT_RANGE,
            format!("bytes {offset}-{}/{size}", offset + length - 1),
        ));
    }
    if req.method() == Method::HEAD {
        return response.no_chunking(length).finish();
    }
    let chunks = futures_util::stream::try_unfold(
        (file, offset, length),
        |(mut file, offset, left)| async move {
            if left == 0 {
                return Ok(None);
            }
            let take = left.min(sealed::CHUNK as u64);
            let (file, bytes) = web::block(move || {
                let mut bytes = vec![0u8; take as usize];
                file.seek(SeekFrom::Start(offset))?;
                file.read_exact(&mut bytes)?;
                Ok::<_, std::io::Error>((file, bytes))
            })
            .await
            .map_err(std::io::Error::other)??;
            Ok::<_, std::io::Error>(Some((
                actix_web::web::Bytes::from(bytes),
                (file, offset + take, left - take),
            )))
        },
    );
    let path = path.display().to_string();
    let chunks = futures_util::TryStreamExt::inspect_err(chunks, move |e| {
        tracing::error!("serving {path} stopped: {e}");
    });
    response.body(SizedStream::new(length, Box::pin(chunks)))
}

fn cannot_open(path: &std::path::Path, e: std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::NotFound {
        tracing::warn!("a stored file is missing: {}", path.display());
        AppError::NotFound
    } else {
        AppError::internal(format!("cannot open {}: {e}", path.display()))
    }
}

/// The file, if the signed-in person is a member of its conversation now: a file of a
/// conversation one is not in does not exist for them (404, like any unknown address).
fn member_file(
    state: &AppState,
    me: &SignedIn,
    (conversation, id): (i64, i64),
) -> Result<attachment::Stored, AppError> {
    let user = me.user.id;
    state
        .readers
        .read(|conn| attachment::find_for_member(conn, ConversationId(conversation), id, user))?
        .ok_or(AppError::NotFound)
}

/// What every file's answer gets: the caching and the policy, and no compression: pictures, videos and archives are compressed
/// already, and a compressed answer could not be served by ranges.
fn finish(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(CACHE_FOR_GOOD),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(FILE_POLICY),
    );
    headers.insert(
        header::CONTENT_ENCODING,
        header::HeaderValue::from_static(ContentEncoding::Identity.as_str()),
    );
    response
}

/// The name to save the file under: UTF-8 for browsers that read `filename*`, and an ASCII
/// stand-in for those that do not.
fn content_disposition(disposition: DispositionType, file: &Attachment) -> ContentDisposition {
    let fallback: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition,
        parameters: vec![
            DispositionParam::Filename(fallback),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file.name.as_bytes().to_vec(),
            }),
        ],
    }
}
