//! Pictures: the thumbnail shown in the conversation, the copy served without its metadata
//! (a phone's photo says where it was taken), and profile pictures. Decoding is bounded: a
//! small file that claims to be 20000×20000 pixels is refused before anything is allocated,
//! and the caller lets one decode run at a time (`Media::decode`), so a burst of uploads
//! cannot take a small host's memory.

use std::fs::File;
use std::io::{BufReader, Cursor, Write};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use img_parts::Bytes;

use crate::model::attachment::FileKind;

/// Pixels a picture may have: a 36-megapixel camera's photos pass, a decompression bomb not.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Memory one decode may take (a 40-megapixel photo is 120 MB as RGB).
const MAX_DECODE_BYTES: u64 = 200 * 1024 * 1024;
/// Thumbnails fit in this square: the conversation draws them at half, for sharp screens.
pub const THUMB_BOX: u32 = 640;
const THUMB_QUALITY: u8 = 80;
/// A photo that must be turned upright is encoded again, close to the original.
const REENCODE_QUALITY: u8 = 90;
const AVATAR_QUALITY: u8 = 85;
/// Frames of an animated GIF, all together: beyond it, the animation is refused.
const MAX_GIF_PIXELS: u64 = 400_000_000;

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a picture we can read (truncated, corrupt, or not what its signature says).
    Unreadable,
    /// More pixels than `MAX_PIXELS`.
    TooLarge,
}

/// What a received picture becomes.
pub struct Prepared {
    pub width: u32,
    pub height: u32,
    /// JPEG bytes of the thumbnail, and its size.
    pub thumbnail: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// The bytes to serve instead of the upload: the same picture without its metadata.
    pub served: Vec<u8>,
}

fn format_of(kind: FileKind) -> Option<ImageFormat> {
    match kind {
        FileKind::Jpeg => Some(ImageFormat::Jpeg),
        FileKind::Png => Some(ImageFormat::Png),
        FileKind::Gif => Some(ImageFormat::Gif),
        FileKind::Webp => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes the picture at `path` (its first frame), upright.
fn decode(path: &Path, kind: FileKind) -> Result<DynamicImage, Refused> {
    let format = format_of(kind).ok_or(Refused::Unreadable)?;
    let file = File::open(path).map_err(|_| Refused::Unreadable)?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Refused::Unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refused::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => Refused::TooLarge,
        _ => Refused::Unreadable,
    })?;
    picture.apply_orientation(orientation);
    Ok(picture)
}

/// The thumbnail, the dimensions and the metadata-free copy of a received picture.
pub fn prepare(path: &Path, kind: FileKind) -> Result<Prepared, Refused> {
    let picture = decode(path, kind)?;
    let (width, height) = (picture.width(), picture.height());
    let small = if width > THUMB_BOX || height > THUMB_BOX {
        picture.thumbnail(THUMB_BOX, THUMB_BOX)
    } else {
        picture.clone()
    };
    let small = on_white(&small);
    let thumbnail = jpeg(&small, THUMB_QUALITY)?;
    let original = std::fs::read(path).map_err(|_| Refused::Unreadable)?;
    let served = without_metadata(Bytes::from(original), kind, &picture)?;
    Ok(Prepared {
        width,
        height,
        thumbnail,
        thumb_width: small.width(),
        thumb_height: small.height(),
        served,
    })
}

/// A profile picture: the centre square of the picture, in each of `sizes`, as JPEG.
pub fn avatar(path: &Path, kind: FileKind, sizes: &[u32]) -> Result<Vec<Vec<u8>>, Refused> {
    let picture = decode(path, kind)?;
    let side = picture.width().min(picture.height());
    let square = picture.crop_imm(
        (picture.width() - side) / 2,
        (picture.height() - side) / 2,
        side,
        side,
    );
    let largest = sizes.iter().copied().max().unwrap_or(side);
    // A quick reduction first: a good filter over a 12-megapixel photo takes a second.
    let square = if side > largest * 2 {
        square.thumbnail(largest * 2, largest * 2)
    } else {
        square
    };
    sizes
        .iter()
        .map(|&size| {
            let resized = square.resize_exact(size, size, image::imageops::FilterType::CatmullRom);
            jpeg(&on_white(&resized), AVATAR_QUALITY)
        })
        .collect()
}

/// JPEG has no transparency: transparent parts are drawn on white, as on the page.
fn on_white(picture: &DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn jpeg(picture: &RgbImage, quality: u8) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(picture)
        .map_err(|_| Refused::Unreadable)?;
    Ok(out)
}

/// JPEG segments kept when serving a photo: the picture and what is needed to show its colours
/// right (JFIF, the ICC profile, Adobe's colour transform); not EXIF, XMP, IPTC or comments.
fn keeps_jpeg_segment(marker: u8) -> bool {
    use img_parts::jpeg::markers;
    !matches!(
        marker,
        markers::APP1 | markers::APP3..=markers::APP13 | markers::APP15 | markers::COM
    )
}

/// PNG chunks kept: those that draw the picture; not text, EXIF or timestamps.
const PNG_KEPT: [&[u8; 4]; 14] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

/// The picture as uploaded, minus its metadata. A photo whose metadata said how to turn it is
/// encoded again upright (`picture`), since the instruction goes with the metadata.
fn without_metadata(
    original: Bytes,
    kind: FileKind,
    picture: &DynamicImage,
) -> Result<Vec<u8>, Refused> {
    match kind {
        FileKind::Jpeg => {
            let mut jpeg_file =
                img_parts::jpeg::Jpeg::from_bytes(original).map_err(|_| Refused::Unreadable)?;
            if has_turning(&jpeg_file) {
                return jpeg(&picture.to_rgb8(), REENCODE_QUALITY);
            }
            jpeg_file
                .segments_mut()
                .retain(|segment| keeps_jpeg_segment(segment.marker()));
            Ok(jpeg_file.encoder().bytes().to_vec())
        }
        FileKind::Png => {
            let mut png =
                img_parts::png::Png::from_bytes(original).map_err(|_| Refused::Unreadable)?;
            if png.chunk_by_type(*b"eXIf").is_some() {
                let mut out = Vec::new();
                picture
                    .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                    .map_err(|_| Refused::Unreadable)?;
                return Ok(out);
            }
            png.chunks_mut()
                .retain(|chunk| PNG_KEPT.contains(&&chunk.kind()));
            Ok(png.encoder().bytes().to_vec())
        }
        FileKind::Webp => {
            use img_parts::ImageEXIF;
            let mut webp =
                img_parts::webp::WebP::from_bytes(original).map_err(|_| Refused::Unreadable)?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(img_parts::webp::CHUNK_XMP);
            Ok(webp.encoder().bytes().to_vec())
        }
        FileKind::Gif => gif_frames_only(&original),
        _ => Err(Refused::Unreadable),
    }
}

/// Whether a JPEG's EXIF asks for the photo to be turned or mirrored.
fn has_turning(jpeg_file: &img_parts::jpeg::Jpeg) -> bool {
    use img_parts::ImageEXIF;
    jpeg_file
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(&exif))
        .is_some_and(|o| o != Orientation::NoTransforms)
}

/// A GIF written again from its frames alone: comments, application blocks and anything
/// appended after the image (a GIF followed by a ZIP archive) are left behind.
fn gif_frames_only(original: &[u8]) -> Result<Vec<u8>, Refused> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options
        .read_info(original)
        .map_err(|_| Refused::Unreadable)?;
    let mut out = Vec::new();
    {
        let palette = decoder.global_palette().unwrap_or_default().to_vec();
        let mut encoder = gif::Encoder::new(&mut out, decoder.width(), decoder.height(), &palette)
            .map_err(|_| Refused::Unreadable)?;
        encoder
            .set_repeat(decoder.repeat())
            .map_err(|_| Refused::Unreadable)?;
        let mut pixels = 0u64;
        let mut frames = 0;
        while let Some(frame) = decoder.read_next_frame().map_err(|_| Refused::Unreadable)? {
            pixels += u64::from(frame.width) * u64::from(frame.height);
            if pixels > MAX_GIF_PIXELS {
                return Err(Refused::TooLarge);
            }
            encoder
                .write_frame(frame)
                .map_err(|_| Refused::Unreadable)?;
            frames += 1;
        }
        if frames == 0 {
            return Err(Refused::Unreadable);
        }
    }
    out.flush().map_err(|_| Refused::Unreadable)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/files")
            .join(name)
    }

    fn saved(picture: &DynamicImage, format: ImageFormat) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        picture.save_with_format(file.path(), format).unwrap();
        file
    }

    #[test]
    fn a_bomb_a_truncated_picture_and_a_gif_hiding_an_archive_are_refused() {
        assert_eq!(
            prepare(&corpus("bomb.png"), FileKind::Png).err(),
            Some(Refused::TooLarge)
        );
        assert_eq!(
            prepare(&corpus("truncated.jpg"), FileKind::Jpeg).err(),
            Some(Refused::Unreadable)
        );
        assert_eq!(
            prepare(&corpus("gifar.gif"), FileKind::Gif).err(),
            Some(Refused::Unreadable),
            "a GIF with no picture in it"
        );
    }

    #[test]
    fn thumbnails_fit_the_box_and_keep_the_shape() {
        let wide = DynamicImage::new_rgb8(2000, 500);
        let file = saved(&wide, ImageFormat::Png);
        let prepared = prepare(file.path(), FileKind::Png).unwrap();
        assert_eq!((prepared.width, prepared.height), (2000, 500));
        assert_eq!((prepared.thumb_width, prepared.thumb_height), (640, 160));
        assert!(prepared.thumbnail.starts_with(&[0xFF, 0xD8]));
        let small = prepare(&corpus("tiny.png"), FileKind::Png).unwrap();
        assert_eq!((small.thumb_width, small.thumb_height), (2, 2));
    }

    #[test]
    fn served_pictures_lose_their_metadata_and_stay_pictures() {
        let photo = DynamicImage::new_rgb8(40, 30);
        let file = saved(&photo, ImageFormat::Jpeg);
        let bytes = std::fs::read(file.path()).unwrap();
        let mut jpeg_file = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(bytes)).unwrap();
        // EXIF saying where the photo was taken, and a comment.
        let exif = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS here".to_vec();
        let app1 = img_parts::jpeg::JpegSegment::new_with_contents(
            img_parts::jpeg::markers::APP1,
            Bytes::from(exif),
        );
        jpeg_file.segments_mut().insert(1, app1);
        let with_exif = jpeg_file.encoder().bytes();
        std::fs::write(file.path(), &with_exif).unwrap();
        let prepared = prepare(file.path(), FileKind::Jpeg).unwrap();
        let served = String::from_utf8_lossy(&prepared.served);
        assert!(!served.contains("GPS here"));
        let decoded = image::load_from_memory(&prepared.served).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (40, 30));
    }

    #[test]
    fn a_photo_taken_sideways_is_served_and_thumbnailed_upright() {
        let photo = DynamicImage::new_rgb8(40, 30);
        let file = saved(&photo, ImageFormat::Jpeg);
        let bytes = std::fs::read(file.path()).unwrap();
        let mut jpeg_file = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(bytes)).unwrap();
        // Big-endian TIFF with one entry: Orientation (0x0112) = 6, "turn 90° clockwise".
        let exif =
            b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
        jpeg_file.segments_mut().insert(
            1,
            img_parts::jpeg::JpegSegment::new_with_contents(
                img_parts::jpeg::markers::APP1,
                Bytes::from(exif),
            ),
        );
        std::fs::write(file.path(), jpeg_file.encoder().bytes()).unwrap();
        let prepared = prepare(file.path(), FileKind::Jpeg).unwrap();
        assert_eq!((prepared.width, prepared.height), (30, 40));
        assert_eq!((prepared.thumb_width, prepared.thumb_height), (30, 40));
        let served = image::load_from_memory(&prepared.served).unwrap();
        assert_eq!((served.width(), served.height()), (30, 40));
    }

    #[test]
    fn profile_pictures_are_centred_squares() {
        let wide = DynamicImage::new_rgba8(300, 100);
        let file = saved(&wide, ImageFormat::Png);
        let sizes = avatar(file.path(), FileKind::Png, &[64, 256]).unwrap();
        let small = image::load_from_memory(&sizes[0]).unwrap();
        let large = image::load_from_memory(&sizes[1]).unwrap();
        assert_eq!((small.width(), small.height()), (64, 64));
        assert_eq!((large.width(), large.height()), (256, 256));
    }
}
