//! What a received file is, decided by its bytes and never by its name; a name that says
//! otherwise is refused, so that nobody is handed "photo.png" that is really a page of HTML.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{clean_name, ending};
use crate::model::FieldError;
use crate::model::attachment::FileKind;

/// Bytes read to recognise a format: every signature we know is within the first few hundred.
const HEAD: usize = 8 * 1024;

/// The field the composer's file input reports its errors on.
pub const FIELD: &str = "files";

fn refusal(message: &'static str, raw_name: &str) -> FieldError {
    let name = clean_name(raw_name);
    FieldError {
        field: FIELD,
        message,
        detail: Some(if name.is_empty() {
            "?".to_owned()
        } else {
            name
        }),
    }
}

/// The kind of the file at `path`, if it is one of `allowed` and its name does not claim
/// another. `raw_name` is what the sender called it.
pub fn identify(
    path: &Path,
    raw_name: &str,
    size: u64,
    allowed: &[FileKind],
) -> Result<FileKind, FieldError> {
    if size == 0 {
        return Err(refusal("error-upload-empty", raw_name));
    }
    let kind = match content_kind(path) {
        Ok(Some(kind)) => kind,
        Ok(None) => return Err(refusal("error-upload-type", raw_name)),
        Err(e) => {
            tracing::error!("could not read an upload at {}: {e}", path.display());
            return Err(refusal("error-upload-unreadable", raw_name));
        }
    };
    if !allowed.contains(&kind) {
        return Err(refusal("error-upload-type", raw_name));
    }
    let name = clean_name(raw_name);
    if let Some(ending) = ending(&name) {
        let ending = ending.to_ascii_lowercase();
        if !kind.extensions().contains(&ending.as_str()) {
            return Err(match FileKind::from_extension(&ending) {
                Some(_) => refusal("error-upload-mismatch", raw_name),
                None => refusal("error-upload-type", raw_name),
            });
        }
    }
    Ok(kind)
}

fn content_kind(path: &Path) -> io::Result<Option<FileKind>> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(HEAD);
    (&mut file).take(HEAD as u64).read_to_end(&mut head)?;
    if let Some(found) = infer::get(&head) {
        return Ok(match found.mime_type() {
            "image/jpeg" => Some(FileKind::Jpeg),
            "image/png" => Some(FileKind::Png),
            "image/gif" => Some(FileKind::Gif),
            "image/webp" => Some(FileKind::Webp),
            "application/pdf" => Some(FileKind::Pdf),
            "application/zip" => Some(FileKind::Zip),
            "video/mp4" | "video/x-m4v" => Some(FileKind::Mp4),
            // HTML, XML, executables, other formats: not ours to pass on.
            _ => None,
        });
    }
    let looks_like_markup = head
        .iter()
        .find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF))
        .is_some_and(|b| *b == b'<');
    if looks_like_markup {
        // SVG, HTML and XML are text that browsers run: never "plain text" here.
        return Ok(None);
    }
    file = File::open(path)?;
    Ok(is_plain_text(file)?.then_some(FileKind::Text))
}

/// UTF-8 throughout, with no control characters but tabs, line and page breaks: what a text
/// editor saves, and not a binary format we failed to recognise.
fn is_plain_text(mut file: File) -> io::Result<bool> {
    let mut buffer = vec![0u8; 64 * 1024];
    // Bytes of a character cut by the end of the previous read.
    let mut carried = 0;
    loop {
        let read = file.read(&mut buffer[carried..])?;
        if read == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + read;
        let (text, rest) = match std::str::from_utf8(&buffer[..filled]) {
            Ok(text) => (text, 0),
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                // Only what is valid so far; the cut character is read again with the rest.
                let text = std::str::from_utf8(&buffer[..valid]).unwrap_or_default();
                (text, filled - valid)
            }
            Err(_) => return Ok(false),
        };
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
        {
            return Ok(false);
        }
        buffer.copy_within(filled - rest..filled, 0);
        carried = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[FileKind] = &FileKind::ALL;

    fn corpus(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/files")
            .join(name)
    }

    fn identify_file(path: &Path, name: &str) -> Result<FileKind, &'static str> {
        let size = std::fs::metadata(path).unwrap().len();
        identify(path, name, size, ALL).map_err(|e| e.message)
    }

    fn written(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    #[test]
    fn content_decides_and_a_name_claiming_otherwise_is_refused() {
        assert_eq!(
            identify_file(&corpus("tiny.png"), "tiny.png"),
            Ok(FileKind::Png)
        );
        assert_eq!(
            identify_file(&corpus("tiny.jpg"), "holiday"),
            Ok(FileKind::Jpeg)
        );
        assert_eq!(
            identify_file(&corpus("tiny.jpg"), "tiny.png"),
            Err("error-upload-mismatch")
        );
        assert_eq!(
            identify_file(&corpus("html-as.png"), "html-as.png"),
            Err("error-upload-type"),
            "HTML is never an image, nor text to pass on"
        );
        assert_eq!(
            identify_file(&corpus("svg-script.svg"), "svg-script.svg"),
            Err("error-upload-type")
        );
        assert_eq!(
            identify_file(&corpus("svg-script.svg"), "drawing.txt"),
            Err("error-upload-type"),
            "markup is not plain text, whatever its name"
        );
        assert_eq!(
            identify_file(&corpus("empty.png"), "empty.png"),
            Err("error-upload-empty")
        );
        assert_eq!(
            identify_file(&corpus("tiny.png"), "image.png.exe"),
            Err("error-upload-type")
        );
    }

    #[test]
    fn plain_text_is_utf8_without_control_characters_across_reads() {
        let long = "é".repeat(100_000);
        let text = written(format!("notes\r\n\t{long}\n").as_bytes());
        assert_eq!(identify_file(text.path(), "notes.txt"), Ok(FileKind::Text));
        let binary = written(b"abc\x00def");
        assert_eq!(
            identify_file(binary.path(), "a.txt"),
            Err("error-upload-type")
        );
        let latin1 = written(b"caf\xe9");
        assert_eq!(
            identify_file(latin1.path(), "a.txt"),
            Err("error-upload-type")
        );
        let cut = written(&"é".as_bytes()[..1]);
        assert_eq!(identify_file(cut.path(), "a.txt"), Err("error-upload-type"));
    }

    #[test]
    fn a_kind_left_out_of_the_allowed_list_is_refused() {
        let path = corpus("tiny.png");
        assert_eq!(
            identify(&path, "tiny.png", 71, &[FileKind::Pdf]).map_err(|e| e.message),
            Err("error-upload-type")
        );
    }
}
