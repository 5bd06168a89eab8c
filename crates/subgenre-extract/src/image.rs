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
}
