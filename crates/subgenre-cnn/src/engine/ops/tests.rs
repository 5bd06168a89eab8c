//! The CPU training operations against burn's own, forward and backward.

use burn::module::Param;
use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::MaxPool2dConfig;
use burn::tensor::{Device, Distribution, TensorData, Tolerance};

use super::*;

fn device() -> Device {
    crate::backend::default_device().autodiff()
}

fn close(ours: Tensor<4>, theirs: Tensor<4>, what: &str) {
    close_data(ours.into_data(), theirs.into_data(), what);
}

/// Equal shapes, and every value within 1e-5 of the largest magnitude in `b`.
fn close_data(a: TensorData, b: TensorData, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    let (a, b) = (
        a.try_into_vec::<f32>().expect("f32"),
        b.try_into_vec::<f32>().expect("f32"),
    );
    let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * scale,
            "{what} [{i}]: {x} vs {y} (scale {scale})"
        );
    }
}

/// Forward and all three gradients equal burn's own `Conv2d` to float rounding, for 1-,
/// 32- and 64-channel inputs, odd and non-square sizes, with a loss whose gradient is
/// not uniform (so a misplaced gradient shows).
#[test]
fn conv3x3_equals_burn_forward_and_backward() {
    let ad = device();
    for (cin, cout, h, w) in [
        (1, 32, 13, 9),
        (32, 64, 7, 11),
        (64, 16, 5, 6),
        (3, 4, 1, 1),
    ] {
        ad.seed(7);
        let mut conv = Conv2dConfig::new([cin, cout], [3, 3])
            .with_padding(PaddingConfig2d::Same)
            .init(&ad);
        let bias = Tensor::<1>::random([cout], Distribution::Uniform(-0.5, 0.5), &ad);
        conv.bias = Some(Param::from_tensor(bias));
        let x = Tensor::<4>::random([3, cin, h, w], Distribution::Uniform(-1.0, 1.0), &ad)
            .require_grad();
        let upstream = Tensor::<4>::random([3, cout, h, w], Distribution::Default, &ad);
        let what = format!("{cin}->{cout} at {h}x{w}");

        let ours = conv3x3(&conv, x.clone());
        let theirs = conv.forward(x.clone());
        close(ours.clone(), theirs.clone(), &format!("{what} forward"));

        let grads_of = |y: Tensor<4>| {
            let grads = (y * upstream.clone()).sum().backward();
            let dx = x.grad(&grads).expect("input grad");
            let dw = conv.weight.val().grad(&grads).expect("weight grad");
            let db = conv
                .bias
                .as_ref()
                .expect("bias")
                .val()
                .grad(&grads)
                .expect("bias grad");
            (dx, dw, db)
        };
        let (dx, dw, db) = grads_of(ours);
        let (rx, rw, rb) = grads_of(theirs);
        close(
            Tensor::from_data(dx.into_data(), &ad),
            Tensor::from_data(rx.into_data(), &ad),
            &format!("{what} input gradient"),
        );
        close(
            Tensor::from_data(dw.into_data(), &ad),
            Tensor::from_data(rw.into_data(), &ad),
            &format!("{what} kernel gradient"),
        );
        close(
            Tensor::<1>::from_data(db.into_data(), &ad).reshape([1, 1, 1, cout]),
            Tensor::<1>::from_data(rb.into_data(), &ad).reshape([1, 1, 1, cout]),
            &format!("{what} bias gradient"),
        );
    }
}

/// The fused ReLU + pooling equals burn's ReLU then `MaxPool2d`, forward and backward, for
/// every pooling the networks use (2x2/2, Keras' 1x1/2 and 2x2/1, 1x2/1x2, 2x1/2x1) on odd
/// sizes (a last row or column dropped), with 1, 32 and 64 channels.
#[test]
fn relu_max_pool_equals_burn_forward_and_backward() {
    let ad = device();
    let pools = [
        ([2, 2], [2, 2]),
        ([1, 1], [2, 2]),
        ([2, 2], [1, 1]),
        ([1, 2], [1, 2]),
        ([2, 1], [2, 1]),
    ];
    for (channels, h, w) in [(1, 9, 7), (32, 6, 5), (64, 5, 8)] {
        for (kernel, stride) in pools {
            let pool = MaxPool2dConfig::new(kernel).with_strides(stride).init();
            let x = Tensor::<4>::random([2, channels, h, w], Distribution::Uniform(-1.0, 1.0), &ad)
                .require_grad();
            let what = format!("{channels}x{h}x{w}, pool {kernel:?} stride {stride:?}");
            let ours = relu_max_pool(&pool, x.clone());
            let theirs = pool.forward(relu(x.clone()));
            close(ours.clone(), theirs.clone(), &format!("{what} forward"));
            let upstream = Tensor::<4>::random(ours.dims(), Distribution::Default, &ad);
            let grad_of = |y: Tensor<4>| {
                let grads = (y * upstream.clone()).sum().backward();
                Tensor::<4>::from_data(x.grad(&grads).expect("grad").into_data(), &ad)
            };
            close(grad_of(ours), grad_of(theirs), &format!("{what} gradient"));
        }
    }
}

/// The fused block (convolution, ReLU, pooling as one operation) equals burn's three layers,
/// forward and every gradient, for 1-, 32- and 64-channel inputs, odd sizes, and the pools the
/// networks use (2x2/2, Keras' 1x1/2 and 2x2/1).
#[test]
fn the_fused_block_equals_burn_forward_and_backward() {
    let ad = device();
    let pools = [([2, 2], [2, 2]), ([1, 1], [2, 2]), ([2, 2], [1, 1])];
    for (cin, cout, h, w) in [(1, 32, 13, 9), (32, 64, 7, 11), (64, 16, 5, 6)] {
        for (kernel, stride) in pools {
            ad.seed(11);
            let mut conv = Conv2dConfig::new([cin, cout], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(&ad);
            let bias = Tensor::<1>::random([cout], Distribution::Uniform(-0.5, 0.5), &ad);
            conv.bias = Some(Param::from_tensor(bias));
            let pool = MaxPool2dConfig::new(kernel).with_strides(stride).init();
            let x = Tensor::<4>::random([3, cin, h, w], Distribution::Uniform(-1.0, 1.0), &ad)
                .require_grad();
            let what = format!("{cin}->{cout} at {h}x{w}, pool {kernel:?} stride {stride:?}");

            let ours = conv3x3_relu_max_pool(&conv, &pool, x.clone());
            let theirs = pool.forward(relu(conv.forward(x.clone())));
            close(ours.clone(), theirs.clone(), &format!("{what} forward"));

            let upstream = Tensor::<4>::random(ours.dims(), Distribution::Default, &ad);
            let grads_of = |y: Tensor<4>| {
                let grads = (y * upstream.clone()).sum().backward();
                let bias = conv.bias.as_ref().expect("bias").val();
                [
                    x.grad(&grads).expect("input grad").into_data(),
                    conv.weight
                        .val()
                        .grad(&grads)
                        .expect("weight grad")
                        .into_data(),
                    bias.grad(&grads).expect("bias grad").into_data(),
                ]
            };
            let names = ["input", "kernel", "bias"];
            for ((a, b), name) in grads_of(ours).into_iter().zip(grads_of(theirs)).zip(names) {
                close_data(a, b, &format!("{what} {name} gradient"));
            }
        }
    }
}

/// The kernel gradient is summed in the same order on one thread and on three (a batch of
/// 9: groups of 4, 4 and 1 images), bit for bit: training stays deterministic.
#[test]
fn gradients_do_not_depend_on_the_thread_count() {
    let ad = device();
    let conv = Conv2dConfig::new([8, 16], [3, 3])
        .with_padding(PaddingConfig2d::Same)
        .init(&ad);
    let x = Tensor::<4>::random([9, 8, 10, 12], Distribution::Uniform(-1.0, 1.0), &ad);
    let kernel_grad = |threads| {
        crate::backend::with_threads(threads, || {
            let y = conv3x3(&conv, x.clone());
            let grads = (y.clone() * y).sum().backward();
            conv.weight.val().grad(&grads).expect("grad").into_data()
        })
    };
    assert_eq!(kernel_grad(1), kernel_grad(3));
}

/// Without autodiff (inference on the plain device) the same values come out.
#[test]
fn the_plain_device_gives_the_same_forward() {
    let plain = crate::backend::default_device();
    let conv = Conv2dConfig::new([2, 3], [3, 3])
        .with_padding(PaddingConfig2d::Same)
        .init(&plain);
    let pool = MaxPool2dConfig::new([2, 2]).init();
    let x = Tensor::<4>::random([2, 2, 6, 7], Distribution::Uniform(-1.0, 1.0), &plain);
    let ours = relu_max_pool(&pool, conv3x3(&conv, x.clone()));
    let theirs = pool.forward(relu(conv.forward(x)));
    ours.into_data()
        .assert_approx_eq::<f32>(&theirs.into_data(), Tolerance::default());
}
