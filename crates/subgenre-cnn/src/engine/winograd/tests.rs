//! Winograd against the direct convolution and its adjoints.

use super::*;

fn pattern(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

/// The direct "same" cross-correlation, summed in f64.
fn direct(
    image: &[f32],
    kernel: &[f32],
    [c_in, c_out]: [usize; 2],
    [h, w]: [usize; 2],
) -> Vec<f32> {
    let mut out = vec![0.0f32; c_out * h * w];
    for k in 0..c_out {
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0f64;
                for c in 0..c_in {
                    for dy in 0..3 {
                        for dx in 0..3 {
                            let (sy, sx) = (y + dy, x + dx);
                            if sy == 0 || sx == 0 || sy > h || sx > w {
                                continue;
                            }
                            let v = image[(c * h + sy - 1) * w + sx - 1];
                            sum += f64::from(v * kernel[((k * c_in + c) * 3 + dy) * 3 + dx]);
                        }
                    }
                }
                out[(k * h + y) * w + x] = sum as f32;
            }
        }
    }
    out
}

#[test]
fn equals_the_direct_convolution_on_odd_and_even_sizes() {
    for (c_in, c_out, h, w) in [
        (1, 1, 1, 1),
        (3, 5, 7, 9),
        (8, 4, 6, 5),
        (32, 16, 13, 12),
        (4, 3, 2, 40),
    ] {
        let image = pattern(c_in * h * w, 1);
        let kernel = pattern(c_out * c_in * 9, 2);
        let expected = direct(&image, &kernel, [c_in, c_out], [h, w]);
        let mut out = vec![f32::NAN; c_out * h * w];
        Winograd3x3::new(&kernel, c_out, c_in)
            .expect("a kernel of its shape")
            .conv(&image, [h, w], &mut out, &mut WinogradScratch::default())
            .expect("shapes fit");
        let scale = expected.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        for (i, (a, b)) in out.iter().zip(&expected).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * scale,
                "{c_in}->{c_out} at {h}x{w}, value {i}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn deinterleave_splits_columns_and_pads_with_zeros() {
    let row = [1.0, 2.0, 3.0, 4.0, 5.0];
    let (mut even, mut odd) = ([9.0; 4], [9.0; 3]);
    deinterleave(Some(&row), &mut even, &mut odd);
    assert_eq!((even, odd), ([1.0, 3.0, 5.0, 0.0], [2.0, 4.0, 0.0]));
    let (mut even, mut odd) = ([9.0; 2], [9.0; 2]);
    deinterleave(Some(&row[..4]), &mut even, &mut odd);
    assert_eq!((even, odd), ([1.0, 3.0], [2.0, 4.0]));
    deinterleave(None, &mut even, &mut odd);
    assert_eq!((even, odd), ([0.0; 2], [0.0; 2]));
}

#[test]
fn small_bands_give_the_same_values_as_one_band() {
    // 200 tile rows of one tile: many bands.
    let (c_in, c_out, h, w) = (2, 3, 400, 2);
    let image = pattern(c_in * h * w, 3);
    let kernel = pattern(c_out * c_in * 9, 4);
    let expected = direct(&image, &kernel, [c_in, c_out], [h, w]);
    let mut out = vec![f32::NAN; c_out * h * w];
    Winograd3x3::new(&kernel, c_out, c_in)
        .expect("a kernel of its shape")
        .conv(&image, [h, w], &mut out, &mut WinogradScratch::default())
        .expect("shapes fit");
    for (a, b) in out.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-4, "{a} vs {b}");
    }
}

#[test]
fn the_adjoint_gives_the_input_gradient() {
    // <conv(x), g> == <x, adjoint(g)> for any x and g.
    let (c_in, c_out, h, w) = (5, 7, 9, 6);
    let x = pattern(c_in * h * w, 5);
    let g = pattern(c_out * h * w, 6);
    let kernel = pattern(c_out * c_in * 9, 7);
    let mut scratch = WinogradScratch::default();
    let mut y = vec![0.0; c_out * h * w];
    Winograd3x3::new(&kernel, c_out, c_in)
        .expect("a kernel of its shape")
        .conv(&x, [h, w], &mut y, &mut scratch)
        .expect("shapes fit");
    let mut dx = vec![0.0; c_in * h * w];
    let adjoint = Winograd3x3::adjoint_of(&kernel, c_out, c_in).expect("a kernel of its shape");
    assert_eq!((adjoint.channels_in, adjoint.channels_out), (c_out, c_in));
    adjoint
        .conv(&g, [h, w], &mut dx, &mut scratch)
        .expect("shapes fit");
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| f64::from(p * q)).sum::<f64>();
    let (left, right) = (dot(&y, &g), dot(&x, &dx));
    assert!(
        (left - right).abs() < 1e-3 * left.abs().max(1.0),
        "{left} vs {right}"
    );
}

#[test]
fn the_kernel_gradient_equals_the_direct_sum() {
    // dL/dW[k][c][dy][dx] = sum over pixels of grad[k](y, x) * image[c](y + dy - 1, x + dx - 1).
    for (c_in, c_out, h, w) in [(3, 4, 7, 9), (8, 5, 6, 5), (2, 3, 1, 1), (16, 8, 40, 3)] {
        let images = [pattern(c_in * h * w, 8), pattern(c_in * h * w, 9)];
        let grads = [pattern(c_out * h * w, 10), pattern(c_out * h * w, 11)];
        let mut expected = vec![0.0f64; c_out * c_in * 9];
        for (image, grad) in images.iter().zip(&grads) {
            for k in 0..c_out {
                for c in 0..c_in {
                    for dy in 0..3 {
                        for dx in 0..3 {
                            let mut sum = 0.0f64;
                            for y in 0..h {
                                for x in 0..w {
                                    let (sy, sx) = (y + dy, x + dx);
                                    if sy == 0 || sx == 0 || sy > h || sx > w {
                                        continue;
                                    }
                                    sum += f64::from(
                                        grad[(k * h + y) * w + x]
                                            * image[(c * h + sy - 1) * w + sx - 1],
                                    );
                                }
                            }
                            expected[((k * c_in + c) * 3 + dy) * 3 + dx] += sum;
                        }
                    }
                }
            }
        }
        let mut gradient = WinogradKernelGradient::new(c_out, c_in);
        let mut scratch = WinogradScratch::default();
        for (image, grad) in images.iter().zip(&grads) {
            gradient
                .add(image, grad, [h, w], &mut scratch)
                .expect("shapes fit");
        }
        let got = gradient.finish();
        let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (i, (a, b)) in got.iter().zip(&expected).enumerate() {
            assert!(
                (f64::from(*a) - b).abs() <= 1e-5 * scale,
                "{c_in}->{c_out} at {h}x{w}, value {i}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn wrong_lengths_are_errors() {
    let kernel = pattern(2 * 3 * 9, 1);
    assert!(Winograd3x3::new(&kernel, 3, 3).is_err());
    let conv = Winograd3x3::new(&kernel, 2, 3).expect("a kernel of its shape");
    let mut out = vec![0.0; 2 * 4 * 4];
    let result = conv.conv(
        &[0.0; 10],
        [4, 4],
        &mut out,
        &mut WinogradScratch::default(),
    );
    assert!(result.is_err());
    let mut gradient = WinogradKernelGradient::new(2, 3);
    let result = gradient.add(
        &[0.0; 3 * 16],
        &[0.0; 10],
        [4, 4],
        &mut WinogradScratch::default(),
    );
    assert!(result.is_err());
}
