//! Analysis windows.

use crate::convert::linspace;

/// Hann window of length `n`, computed as scipy's `get_window("hann", n, fftbins=periodic)`.
///
/// `periodic = true` (what librosa uses for the STFT) gives the DFT-even window, i.e. the first `n`
/// points of a symmetric window of length `n + 1`.
pub fn hann(n: usize, periodic: bool) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![1.0],
        _ => {
            let m = if periodic { n + 1 } else { n };
            // scipy.signal.windows.general_cosine(m, [0.5, 0.5]): 0.5 + 0.5 * cos(fac),
            // fac = linspace(-pi, pi, m).
            let mut w: Vec<f64> = linspace(-std::f64::consts::PI, std::f64::consts::PI, m)
                .into_iter()
                .map(|fac| 0.5 + 0.5 * fac.cos())
                .collect();
            w.truncate(n);
            w
        }
    }
}

/// `librosa.util.pad_center`: centre `w` in a buffer of length `size` (zeros either side).
pub(crate) fn pad_center(w: &[f64], size: usize) -> Vec<f64> {
    let mut out = vec![0.0; size];
    let lpad = (size - w.len()) / 2;
    out[lpad..lpad + w.len()].copy_from_slice(w);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn periodic_hann() {
        let w = hann(8, true);
        let expect = [
            0.0,
            0.146_446_6,
            0.5,
            0.853_553_4,
            1.0,
            0.853_553_4,
            0.5,
            0.146_446_6,
        ];
        for (a, b) in w.iter().zip(expect) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-7);
        }
        let s = hann(5, false);
        assert_abs_diff_eq!(s[0], 0.0, epsilon = 1e-15);
        assert_abs_diff_eq!(s[2], 1.0, epsilon = 1e-15);
        assert_abs_diff_eq!(s[4], 0.0, epsilon = 1e-15);
    }

    #[test]
    fn pad_center_centres() {
        assert_eq!(
            pad_center(&[1.0, 2.0], 6),
            vec![0.0, 0.0, 1.0, 2.0, 0.0, 0.0]
        );
        assert_eq!(pad_center(&[1.0, 2.0], 5), vec![0.0, 1.0, 2.0, 0.0, 0.0]);
    }
}
