//! Serving files: what people sent in conversations (to members only) and profile pictures.

use actix_files::NamedFile;
use actix_web::http::header::{
    self, Charset, ContentDisposition, ContentEncoding, DispositionParam, DispositionType,
    ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::SignedIn;
use crate::error::AppError;
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
    let file = open(state.media.storage.file(&stored.stored_as))?;
    let attachment = &stored.attachment;
    let disposition = if attachment.kind.is_image() {
        DispositionType::Inline
    } else {
        DispositionType::Attachment
    };
    let file = file
        .set_content_type(
            attachment
                .kind
                .mime()
                .parse()
                .unwrap_or(mime::APPLICATION_OCTET_STREAM),
        )
        .set_content_disposition(content_disposition(disposition, attachment));
    Ok(finish(file.into_response(&req)))
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
    our_jpeg(&req, state.media.storage.thumbnail(&stored.stored_as))
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
    our_jpeg(&req, file_path)
}

/// A picture we made ourselves (a thumbnail, a profile picture): always a JPEG.
fn our_jpeg(req: &HttpRequest, path: std::path::PathBuf) -> Result<HttpResponse, AppError> {
    let file = open(path)?
        .set_content_type(mime::IMAGE_JPEG)
        .disable_content_disposition();
    Ok(finish(file.into_response(req)))
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

fn open(path: std::path::PathBuf) -> Result<NamedFile, AppError> {
    NamedFile::open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            tracing::warn!("a stored file is missing: {}", path.display());
            AppError::NotFound
        } else {
            AppError::internal(format!("cannot open {}: {e}", path.display()))
        }
    })
}

/// Range requests (for video) and revalidation are `NamedFile`'s; what is added here is the
/// caching and the policy, and no compression: pictures, videos and archives are compressed
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
