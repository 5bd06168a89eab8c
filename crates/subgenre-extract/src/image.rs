//! Grey images and OpenCV-compatible resizing, so model inputs match what the study's Python
//! (cv2.resize) fed its networks.

/// A grey image, row-major, `data.len() == width * height`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Gray {
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), width * height);
        Self {
            width,
            height,
            data,
        }
    }
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }
}

/// How to shrink or enlarge, as OpenCV's `interpolation` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// `cv2.INTER_AREA`: pixel-area averaging when shrinking; OpenCV's own linear variant when
    /// either axis grows.
    Area,
    /// `cv2.INTER_LINEAR`: bilinear with half-pixel centres (OpenCV's default).
    Linear,
}

impl Interpolation {
    pub fn name(self) -> &'static str {
        match self {
            Interpolation::Area => "area",
            Interpolation::Linear => "linear",
        }
    }
}

impl std::fmt::Display for Interpolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Interpolation {
    type Err = crate::ExtractError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "area" => Ok(Interpolation::Area),
            "linear" => Ok(Interpolation::Linear),
            other => Err(crate::ExtractError::InvalidOption {
                name: "resize",
                value: other.to_string(),
                reason: "expected linear or area",
            }),
        }
    }
}

/// One output sample as a weighted sum of input samples along one axis.
type Taps = Vec<Vec<(usize, f32)>>;

/// `computeResizeAreaTab` of OpenCV: the overlap of each output cell with the input pixels.
fn area_taps(src: usize, dst: usize) -> Taps {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|dx| {
            let fsx1 = dx as f64 * scale;
            let fsx2 = fsx1 + scale;
            let cell = scale.min(src as f64 - fsx1);
            let sx2 = (fsx2.floor() as usize).min(src - 1);
            let sx1 = (fsx1.ceil() as usize).min(sx2);
            let mut taps = Vec::new();
            if sx1 as f64 - fsx1 > 1e-3 {
                taps.push((sx1 - 1, ((sx1 as f64 - fsx1) / cell) as f32));
            }
            for sx in sx1..sx2 {
                taps.push((sx, (1.0 / cell) as f32));
            }
            if fsx2 - sx2 as f64 > 1e-3 {
                let w = (fsx2 - sx2 as f64).min(1.0).min(cell) / cell;
                taps.push((sx2, w as f32));
            }
            taps
        })
        .collect()
}

/// Two-tap interpolation of OpenCV's resize for one axis.
fn linear_taps(src: usize, dst: usize, area_variant: bool) -> Taps {
    let scale = src as f64 / dst as f64;
    let inv = dst as f64 / src as f64;
    (0..dst)
        .map(|dx| {
            let (mut sx, mut fx) = if area_variant {
                // INTER_AREA when enlarging: fx = (dx+1) - (sx+1)/scale, wrapped to [0, 1).
                let sx = (dx as f64 * scale).floor() as i64;
                let f = (dx + 1) as f64 - (sx + 1) as f64 * inv;
                (sx, if f <= 0.0 { 0.0 } else { f - f.floor() })
            } else {
                let f = (dx as f64 + 0.5) * scale - 0.5;
                let sx = f.floor() as i64;
                (sx, f - sx as f64)
            };
            if sx < 0 {
                sx = 0;
                fx = 0.0;
            }
            if sx >= src as i64 - 1 {
                sx = src as i64 - 1;
                fx = 0.0;
            }
            let sx = sx as usize;
            if fx == 0.0 {
                vec![(sx, 1.0)]
            } else {
                vec![(sx, (1.0 - fx) as f32), (sx + 1, fx as f32)]
            }
        })
        .collect()
}

/// Resize as `cv2.resize(img, (width, height), interpolation)` does for float images.
pub fn resize(img: &Gray, width: usize, height: usize, interpolation: Interpolation) -> Gray {
    if img.width == 0 || img.height == 0 || width == 0 || height == 0 {
        return Gray::new(width, height, vec![0.0; width * height]);
    }
    let shrinking = img.width >= width && img.height >= height;
    let (tx, ty) = match interpolation {
        Interpolation::Area if shrinking => {
            (area_taps(img.width, width), area_taps(img.height, height))
        }
        Interpolation::Area => (
            linear_taps(img.width, width, true),
            linear_taps(img.height, height, true),
        ),
        Interpolation::Linear => (
            linear_taps(img.width, width, false),
            linear_taps(img.height, height, false),
        ),
    };
    // Horizontal pass per input row, then vertical.
    let mut rows = vec![0f32; img.height * width];
    for y in 0..img.height {
        let src = &img.data[y * img.width..(y + 1) * img.width];
        let out = &mut rows[y * width..(y + 1) * width];
        for (o, taps) in out.iter_mut().zip(&tx) {
            *o = taps.iter().map(|&(i, w)| src[i] * w).sum();
        }
    }
    let mut data = vec![0f32; width * height];
    for (y, taps) in ty.iter().enumerate() {
        let out = &mut data[y * width..(y + 1) * width];
        for &(sy, w) in taps {
            let src = &rows[sy * width..(sy + 1) * width];
            for (o, s) in out.iter_mut().zip(src) {
                *o += s * w;
            }
        }
    }
    Gray::new(width, height, data)
}

/// Resize an 8-bit image and round back to 8 bits, as cv2.resize does on `uint8` input.
pub fn resize_u8(
    pixels: &[u8],
    width: usize,
    height: usize,
    to_width: usize,
    to_height: usize,
    interpolation: Interpolation,
) -> Vec<u8> {
    let img = Gray::new(
        width,
        height,
        pixels.iter().map(|&p| f32::from(p)).collect(),
    );
    resize(&img, to_width, to_height, interpolation)
        .data
        .iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// OpenCV's grey conversion of an RGB pixel (0.299 R + 0.587 G + 0.114 B, rounded).
pub fn rgb_to_gray(r: u8, g: u8, b: u8) -> u8 {
    // OpenCV uses 14-bit fixed point: R*4899 + G*9617 + B*1868, rounded.
    let v = u32::from(r) * 4899 + u32::from(g) * 9617 + u32::from(b) * 1868;
    ((v + (1 << 13)) >> 14) as u8
}

/// libpng's fixed-point weights for `png_set_rgb_to_gray(png, 1, 0.299, 0.587)`, the call
/// OpenCV's PNG decoder makes for `IMREAD_GRAYSCALE`: `coefficient * 32768 / 100000`, truncated
/// (9797, 19234), blue the rest of 32768.
const PNG_RED: u32 = 9797;
const PNG_GREEN: u32 = 19234;
const PNG_BLUE: u32 = 32768 - PNG_RED - PNG_GREEN;

/// libpng's grey value of an 8-bit RGB pixel when the file has no gamma (or gamma 1):
/// `(9797 R + 19234 G + 3737 B) >> 15`, truncated; grey pixels (R = G = B) are kept as they
/// are. This, not [`rgb_to_gray`]'s rounding, is what `cv2.imread(path, IMREAD_GRAYSCALE)`
/// gives for colour PNGs (one grey level lower on some pixels).
pub fn png_rgb_to_gray(r: u8, g: u8, b: u8) -> u8 {
    if r == g && r == b {
        return r;
    }
    ((PNG_RED * u32::from(r) + PNG_GREEN * u32::from(g) + PNG_BLUE * u32::from(b)) >> 15) as u8
}

/// libpng's 8-bit gamma tables for grey conversion (`png_build_8bit_table`), built when the
/// file's gamma (gAMA, or sRGB's 0.45455) is not within 5 % of 1: colour is linearised, mixed
/// with rounding, and re-encoded with the file's gamma.
struct PngGamma {
    /// Gamma in libpng's fixed point (x 100 000).
    file_gamma: u32,
    to_linear: [u8; 256],
    from_linear: [u8; 256],
}

impl PngGamma {
    /// `None` when libpng would use the plain (truncating) conversion.
    fn new(file_gamma: Option<u32>) -> Option<Self> {
        let gamma = file_gamma.filter(|&g| g > 0)?;
        // png_gamma_significant: outside 1 +- 0.05.
        let significant = |g: u32| !(95_000..=105_000).contains(&g);
        if !significant(gamma) {
            return None;
        }
        // png_reciprocal: floor(1e10 / a + 0.5).
        let reciprocal = |a: u32| (1e10 / f64::from(a) + 0.5).floor() as u32;
        let table = |g: u32| -> [u8; 256] {
            let mut t = [0u8; 256];
            for (i, v) in t.iter_mut().enumerate() {
                *v = if significant(g) && i > 0 && i < 255 {
                    // png_gamma_8bit_correct (floating-point build).
                    (255.0 * (i as f64 / 255.0).powf(f64::from(g) * 0.00001) + 0.5).floor() as u8
                } else {
                    i as u8
                };
            }
            t
        };
        // No screen gamma is set, so libpng takes it as 1 / file gamma.
        let screen = reciprocal(gamma);
        Some(Self {
            file_gamma: gamma,
            to_linear: table(reciprocal(gamma)),
            from_linear: table(reciprocal(screen)),
        })
    }

    fn gray8(&self, r: u8, g: u8, b: u8) -> u8 {
        if r == g && r == b {
            return r;
        }
        let (r, g, b) = (
            u32::from(self.to_linear[usize::from(r)]),
            u32::from(self.to_linear[usize::from(g)]),
            u32::from(self.to_linear[usize::from(b)]),
        );
        let mixed = (PNG_RED * r + PNG_GREEN * g + PNG_BLUE * b + 16384) >> 15;
        self.from_linear[mixed.min(255) as usize]
    }

    /// 16-bit colour with gamma: libpng's 16-bit tables, approximated in floating point (may
    /// differ by one grey level after the cut to 8 bits).
    fn gray16(&self, r: u16, g: u16, b: u16) -> u16 {
        if r == g && r == b {
            return r;
        }
        let gamma = f64::from(self.file_gamma) * 0.00001;
        let lin = |v: u16| (f64::from(v) / 65535.0).powf(1.0 / gamma);
        let mixed = (f64::from(PNG_RED) * lin(r)
            + f64::from(PNG_GREEN) * lin(g)
            + f64::from(PNG_BLUE) * lin(b))
            / 32768.0;
        (65535.0 * mixed.powf(gamma) + 0.5)
            .floor()
            .clamp(0.0, 65535.0) as u16
    }
}

/// Read an image file as 8-bit grey values (0..=255, as f32) the way
/// `cv2.imread(path, cv2.IMREAD_GRAYSCALE)` does.
///
/// - **PNG** (any colour type and bit depth): OpenCV lets libpng convert, so this follows
///   libpng: palettes expanded, alpha stripped (ignored, not composited), colour through
///   [`png_rgb_to_gray`] (truncating fixed point), or, when the file declares a gamma other
///   than 1 (gAMA or sRGB), through libpng's gamma tables; 16-bit samples converted at 16 bits,
///   then cut to their high byte. Exact for 8-bit files (an iCCP profile that libpng would
///   recognise as sRGB is not looked at).
/// - **JPEG**: OpenCV asks libjpeg for grey, which is the decoded luma (Y) channel: the luma
///   is taken as decoded here (jpeg-decoder); RGB-coded JPEGs go through [`rgb_to_gray`].
///   Decoders differ in their inverse DCT, so values may differ from OpenCV's by a grey level.
///   CMYK JPEGs are refused.
///
/// The format is recognised by the file's first bytes, not its name.
pub fn imread_gray(path: &std::path::Path) -> crate::Result<Gray> {
    imread_gray_inner(path)
}

/// An image file as a model input, the way the study's Python made one:
/// `cv2.resize(cv2.imread(path, IMREAD_GRAYSCALE), (size, size), interpolation) / 255`
/// (8-bit grey, resized on 8 bits, then scaled to [0, 1]), row-major.
pub fn model_image(
    path: &std::path::Path,
    size: usize,
    interpolation: Interpolation,
) -> crate::Result<Vec<f32>> {
    let img = imread_gray(path)?;
    let bytes: Vec<u8> = img.data.iter().map(|&v| v as u8).collect();
    Ok(
        resize_u8(&bytes, img.width, img.height, size, size, interpolation)
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect(),
    )
}

fn imread_gray_inner(path: &std::path::Path) -> crate::Result<Gray> {
    let bytes = std::fs::read(path).map_err(|source| crate::ExtractError::Io {
        path: path.to_owned(),
        source,
    })?;
    let bad = |reason: String| crate::ExtractError::BadImage {
        path: path.to_owned(),
        reason,
    };
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png_gray(&bytes).map_err(bad)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        decode_jpeg_gray(&bytes).map_err(bad)
    } else {
        Err(bad("neither PNG nor JPEG".into()))
    }
}

fn decode_png_gray(bytes: &[u8]) -> Result<Gray, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let info = reader.info();
    // libpng: an sRGB chunk sets the gamma to 0.45455 and overrides gAMA.
    let file_gamma = if info.srgb.is_some() {
        Some(45_455)
    } else {
        info.gama_chunk.map(png::ScaledFloat::into_scaled)
    };
    let gamma = PngGamma::new(file_gamma);
    let (color, depth) = reader.output_color_type();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = color.samples();
    let bytes_per_sample = match depth {
        png::BitDepth::Sixteen => 2,
        png::BitDepth::Eight => 1,
        other => return Err(format!("unexpected bit depth {other:?} after expansion")),
    };
    let buf = &buf[..frame.buffer_size().min(buf.len())];
    if w == 0 || h == 0 || buf.len() < w * h * channels * bytes_per_sample {
        return Err(format!("{w}x{h} image with too little data"));
    }
    let data: Vec<f32> = if bytes_per_sample == 1 {
        buf.chunks_exact(channels)
            .take(w * h)
            .map(|px| match px {
                [r, g, b, ..] if channels >= 3 => f32::from(match &gamma {
                    Some(t) => t.gray8(*r, *g, *b),
                    None => png_rgb_to_gray(*r, *g, *b),
                }),
                [v, ..] => f32::from(*v),
                [] => 0.0,
            })
            .collect()
    } else {
        let sample = |px: &[u8], i: usize| u16::from_be_bytes([px[2 * i], px[2 * i + 1]]);
        buf.chunks_exact(channels * 2)
            .take(w * h)
            .map(|px| {
                let v = if channels >= 3 {
                    let (r, g, b) = (sample(px, 0), sample(px, 1), sample(px, 2));
                    match &gamma {
                        Some(t) => t.gray16(r, g, b),
                        // libpng's 16-bit path rounds even without gamma.
                        None => {
                            ((PNG_RED * u32::from(r)
                                + PNG_GREEN * u32::from(g)
                                + PNG_BLUE * u32::from(b)
                                + 16384)
                                >> 15) as u16
                        }
                    }
                } else {
                    sample(px, 0)
                };
                // png_set_strip_16: the high byte.
                f32::from((v >> 8) as u8)
            })
            .collect()
    };
    Ok(Gray::new(w, h, data))
}

fn decode_jpeg_gray(bytes: &[u8]) -> Result<Gray, String> {
    let decode = |transform: Option<jpeg_decoder::ColorTransform>| {
        let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
        if let Some(t) = transform {
            decoder.set_color_transform(t);
        }
        let pixels = decoder.decode().map_err(|e| e.to_string())?;
        let info = decoder.info().ok_or("no image information")?;
        Ok::<_, String>((pixels, info))
    };
    let (pixels, info) = decode(None)?;
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    let data: Vec<f32> = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => pixels.iter().map(|&v| f32::from(v)).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .map(|p| f32::from(u16::from_be_bytes([p[0], p[1]]) >> 8))
            .collect(),
        jpeg_decoder::PixelFormat::RGB24 => {
            // The components as stored: where the decoder converted YCbCr to RGB, the first
            // is the luma that libjpeg's grey output copies.
            let (raw, _) = decode(Some(jpeg_decoder::ColorTransform::None))?;
            if raw.len() == pixels.len() && raw != pixels {
                raw.chunks_exact(3).map(|p| f32::from(p[0])).collect()
            } else {
                pixels
                    .chunks_exact(3)
                    .map(|p| f32::from(rgb_to_gray(p[0], p[1], p[2])))
                    .collect()
            }
        }
        jpeg_decoder::PixelFormat::CMYK32 => return Err("CMYK JPEGs are not supported".into()),
    };
    if w == 0 || h == 0 || data.len() < w * h {
        return Err(format!("{w}x{h} image with too little data"));
    }
    Ok(Gray::new(w, h, data[..w * h].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_shrink_by_two_averages_blocks() {
        let img = Gray::new(4, 2, vec![1.0, 3.0, 5.0, 7.0, 1.0, 3.0, 5.0, 7.0]);
        let out = resize(&img, 2, 1, Interpolation::Area);
        assert_eq!(out.data, vec![2.0, 6.0]);
    }

    #[test]
    fn area_fractional_shrink_keeps_mean() {
        let data: Vec<f32> = (0..345).map(|i| (i % 17) as f32).collect();
        let img = Gray::new(345, 1, data.clone());
        let out = resize(&img, 128, 1, Interpolation::Area);
        let mean_in = data.iter().sum::<f32>() / 345.0;
        let mean_out = out.data.iter().sum::<f32>() / 128.0;
        assert!((mean_in - mean_out).abs() < 1e-3, "{mean_in} vs {mean_out}");
    }

    #[test]
    fn linear_identity_and_constant() {
        let img = Gray::new(3, 1, vec![1.0, 2.0, 3.0]);
        assert_eq!(resize(&img, 3, 1, Interpolation::Linear).data, img.data);
        let c = Gray::new(5, 5, vec![0.5; 25]);
        for interp in [Interpolation::Linear, Interpolation::Area] {
            let out = resize(&c, 12, 7, interp);
            assert!(out.data.iter().all(|v| (v - 0.5).abs() < 1e-6));
        }
    }

    #[test]
    fn gray_weights_match_opencv() {
        assert_eq!(rgb_to_gray(255, 255, 255), 255);
        assert_eq!(rgb_to_gray(255, 0, 0), 76);
        assert_eq!(rgb_to_gray(0, 255, 0), 150);
        assert_eq!(rgb_to_gray(0, 0, 255), 29);
    }

    /// A PNG of `pixels` (RGBA, 8-bit) with an optional gAMA chunk, in a temp dir.
    fn rgba_png(
        dir: &std::path::Path,
        pixels: &[[u8; 4]],
        gamma: Option<u32>,
    ) -> std::path::PathBuf {
        let path = dir.join(format!("rgba{}.png", gamma.unwrap_or(0)));
        let file = std::fs::File::create(&path).expect("create");
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), pixels.len() as u32, 1);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        if let Some(g) = gamma {
            encoder.set_source_gamma(png::ScaledFloat::from_scaled(g));
        }
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&pixels.concat()).expect("write");
        writer.finish().expect("finish");
        path
    }

    #[test]
    fn imread_gray_converts_colour_pngs_as_libpng() {
        let dir = tempfile::tempdir().expect("tmp");
        // Magma-like colours, a grey pixel and full alpha variation (alpha is ignored).
        let pixels = [
            [255, 0, 0, 255],
            [0, 255, 0, 0],
            [0, 0, 255, 17],
            [120, 120, 120, 3],
            [252, 253, 191, 255],
            [0, 0, 4, 255],
        ];
        let img = imread_gray(&rgba_png(dir.path(), &pixels, None)).expect("read");
        assert_eq!((img.width, img.height), (6, 1));
        // (9797 R + 19234 G + 3737 B) >> 15, truncated; OpenCV's cvtColor would round
        // 76.2 -> 76, 149.7 -> 150, 29.1 -> 29, 245.6 -> 246.
        assert_eq!(img.data, vec![76.0, 149.0, 29.0, 120.0, 245.0, 0.0]);
        assert_eq!(png_rgb_to_gray(252, 253, 191), 245);
        assert_eq!(rgb_to_gray(252, 253, 191), 246);
        assert_eq!(rgb_to_gray(0, 255, 0), 150);
        // With gAMA 0.45455, libpng mixes linear light: red -> 255 * (76 / 255)^0.45455 = 147.
        let img = imread_gray(&rgba_png(dir.path(), &pixels[..1], Some(45_455))).expect("read");
        assert_eq!(img.data, vec![147.0]);
        // A gamma within 5 % of 1 is ignored, as libpng does.
        let img = imread_gray(&rgba_png(dir.path(), &pixels[..1], Some(100_000))).expect("read");
        assert_eq!(img.data, vec![76.0]);
    }

    #[test]
    fn imread_gray_reads_grey_pngs_unchanged_and_refuses_other_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("grey.png");
        let file = std::fs::File::create(&path).expect("create");
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), 3, 1);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&[0, 128, 255]).expect("write");
        writer.finish().expect("finish");
        let img = imread_gray(&path).expect("read");
        assert_eq!(img.data, vec![0.0, 128.0, 255.0]);
        let text = dir.path().join("not.png");
        std::fs::write(&text, b"hello").expect("write");
        assert!(imread_gray(&text).is_err());
    }
}
