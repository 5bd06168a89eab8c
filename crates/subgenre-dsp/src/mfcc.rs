//! MFCCs (`librosa.feature.mfcc`): an orthonormal DCT-II of a log-power mel spectrogram.

use ndarray::Array2;

use crate::error::{invalid, DspError, Result};

/// Orthonormal DCT-II (`scipy.fft.dct(type=2, norm="ortho")`) keeping the first `n_out`
/// coefficients, as a precomputed matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Dct {
    n_in: usize,
    n_out: usize,
    matrix: Vec<f64>,
}

impl Dct {
    /// DCT of `n_in` inputs keeping `n_out <= n_in` outputs.
    pub fn new(n_in: usize, n_out: usize) -> Result<Self> {
        if n_in == 0 {
            return Err(invalid("n_mels", 0.0, "must be positive"));
        }
        if n_out == 0 || n_out > n_in {
            return Err(invalid("n_mfcc", n_out as f64, "must be in 1..=n_mels"));
        }
        let n = n_in as f64;
        let mut matrix = Vec::with_capacity(n_in * n_out);
        for k in 0..n_out {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for i in 0..n_in {
                let arg = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
                matrix.push(scale * arg.cos());
            }
        }
        Ok(Self {
            n_in,
            n_out,
            matrix,
        })
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Number of outputs.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Transforms one frame (`x.len() == n_in`, `out.len() == n_out`).
    #[inline]
    pub fn apply_frame(&self, x: &[f32], out: &mut [f32]) {
        for (k, o) in out.iter_mut().enumerate().take(self.n_out) {
            let row = &self.matrix[k * self.n_in..(k + 1) * self.n_in];
            // Four independent f64 accumulators: no serial add chain, vectorises.
            let mut acc = [0f64; 4];
            let mut rc = row.chunks_exact(4);
            let mut xc = x.chunks_exact(4);
            for (m, v) in (&mut rc).zip(&mut xc) {
                for i in 0..4 {
                    acc[i] += m[i] * f64::from(v[i]);
                }
            }
            let tail: f64 = rc
                .remainder()
                .iter()
                .zip(xc.remainder())
                .map(|(&m, &v)| m * f64::from(v))
                .sum();
            *o = ((acc[0] + acc[1]) + (acc[2] + acc[3]) + tail) as f32;
        }
    }
}

/// `librosa.feature.mfcc(S=s_db, n_mfcc=n_mfcc)` from a log-power mel spectrogram
/// `[n_mels, n_frames]` (librosa's `power_to_db(melspectrogram(y))` when given `y`).
pub fn mfcc(s_db: &Array2<f32>, n_mfcc: usize) -> Result<Array2<f32>> {
    if s_db.nrows() == 0 {
        return Err(DspError::ShapeMismatch {
            what: "log-power mel spectrogram",
            expected: vec![128, s_db.ncols()],
            found: s_db.shape().to_vec(),
        });
    }
    let dct = Dct::new(s_db.nrows(), n_mfcc)?;
    let mut out = Array2::zeros((n_mfcc, s_db.ncols()));
    let mut frame = vec![0f32; s_db.nrows()];
    let mut coef = vec![0f32; n_mfcc];
    for (t, col) in s_db.columns().into_iter().enumerate() {
        frame.iter_mut().zip(col.iter()).for_each(|(o, &v)| *o = v);
        dct.apply_frame(&frame, &mut coef);
        out.column_mut(t)
            .iter_mut()
            .zip(&coef)
            .for_each(|(o, &v)| *o = v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn dct_is_orthonormal() -> Result<()> {
        let d = Dct::new(16, 16)?;
        for a in 0..16 {
            for b in 0..16 {
                let dot: f64 = (0..16)
                    .map(|i| d.matrix[a * 16 + i] * d.matrix[b * 16 + i])
                    .sum();
                assert_abs_diff_eq!(dot, if a == b { 1.0 } else { 0.0 }, epsilon = 1e-12);
            }
        }
        // A constant input has only a DC term: sqrt(N) * value.
        let mut out = [0f32; 4];
        Dct::new(16, 4)?.apply_frame(&[2.0; 16], &mut out);
        assert_abs_diff_eq!(out[0], 8.0, epsilon = 1e-6);
        assert_abs_diff_eq!(out[1], 0.0, epsilon = 1e-6);
        assert!(Dct::new(16, 17).is_err());
        Ok(())
    }
}
