//! A file classified as it is decoded: the samples pass through once (resampled, into the
//! windows' spectrogram frames and the tempo's onset envelope) and are not kept, so memory is
//! bounded by a window's frames and a batch of model inputs whatever the track's length. The
//! windows, their inputs and the model calls are those of [`Predictor::predict_samples`] (the
//! tests compare the two to the bit).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::Path;

use ndarray::Array2;
use subgenre_dsp::{power_to_db_inplace, DbRef, FftPrecision, MelFrames, TempoOnsets, AMIN};
use subgenre_extract::mel::{CLIP_SAMPLES, HOP_LENGTH, SAMPLE_RATE};

use crate::windows::{
    padded_window_input, window_hop, window_input, window_spectrogram, WINDOW_FRAMES,
};
use crate::{PredictError, PredictOptions, Predictor, Result, Scored, TrackPrediction};

/// [`Predictor::predict_file`]: stream `path` through a [`TrackStream`].
pub(crate) fn predict_streamed(
    predictor: &Predictor,
    path: &Path,
    options: &PredictOptions,
) -> Result<TrackPrediction> {
    let mut track = TrackStream::new(predictor, options)?;
    let load = subgenre_audio::LoadOptions::default();
    subgenre_audio::stream(path, &load, |samples| match track.push(samples) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            track.failed = Some(e);
            ControlFlow::Break(())
        }
    })?;
    track.finish(path)
}

/// One spectrogram frame of the windows' plan: its power and its dB relative to 1.
struct Frame {
    power: Vec<f32>,
    db: Vec<f32>,
}

struct TrackStream<'a> {
    predictor: &'a Predictor,
    options: &'a PredictOptions,
    frames: MelFrames,
    /// Frames from `first_frame` on, as far as made.
    kept: VecDeque<Frame>,
    first_frame: usize,
    /// The first 8 s, for a track shorter than that (one zero-padded window).
    head: Vec<f32>,
    received: usize,
    /// Samples between nominal window starts.
    hop: usize,
    /// The next window's number (its nominal start is `next_window * hop`).
    next_window: usize,
    starts: Vec<usize>,
    /// Inputs not yet through the model (fewer than a batch).
    waiting: Vec<Vec<f32>>,
    scored: Scored,
    tempo: Option<TempoOnsets>,
    failed: Option<PredictError>,
}

impl<'a> TrackStream<'a> {
    fn new(predictor: &'a Predictor, options: &'a PredictOptions) -> Result<Self> {
        let tempo = options
            .tempo
            .then(|| {
                TempoOnsets::librosa(
                    f64::from(SAMPLE_RATE),
                    HOP_LENGTH,
                    FftPrecision::F32,
                    subgenre_dsp::TEMPO_LOOKAHEAD_FRAMES,
                )
            })
            .transpose()?;
        Ok(Self {
            predictor,
            options,
            frames: MelFrames::new(window_spectrogram(predictor.variant)?),
            kept: VecDeque::new(),
            first_frame: 0,
            head: Vec::new(),
            received: 0,
            hop: window_hop(options.hop_s)?,
            next_window: 0,
            starts: Vec::new(),
            waiting: Vec::new(),
            scored: Scored::default(),
            tempo,
            failed: None,
        })
    }

    fn push(&mut self, samples: &[f32]) -> Result<()> {
        if self.head.len() < CLIP_SAMPLES {
            let room = CLIP_SAMPLES - self.head.len();
            self.head
                .extend_from_slice(&samples[..room.min(samples.len())]);
        }
        self.received += samples.len();
        if let Some(tempo) = &mut self.tempo {
            tempo.push(samples)?;
        }
        let kept = &mut self.kept;
        let mut failed = None;
        self.frames.push(samples, |_, column| {
            if failed.is_none() {
                failed = keep_frame(kept, column).err();
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        // Windows whose frames are all made and that no later sample can move (a window is
        // only pulled back onto the last frame that fits at the very end of the track).
        loop {
            let nominal = self.next_window * self.hop;
            let start = nearest_frame(nominal) * HOP_LENGTH;
            let first = start / HOP_LENGTH;
            let fits = nominal.max(start) + CLIP_SAMPLES <= self.received;
            if !(fits && self.frames.frames_done() >= first + WINDOW_FRAMES) {
                break;
            }
            self.add_window(start)?;
            self.next_window += 1;
        }
        self.forget_frames();
        Ok(())
    }

    fn finish(mut self, path: &Path) -> Result<TrackPrediction> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let n = self.received;
        if n < CLIP_SAMPLES {
            // One zero-padded window, as `track_windows`.
            let input = padded_window_input(
                &self.head,
                self.predictor.variant,
                self.predictor.route,
                self.predictor.spec().input.size,
            )?;
            self.starts.push(0);
            self.waiting.push(input);
        } else {
            let kept = &mut self.kept;
            let mut failed = None;
            self.frames.finish(|_, column| {
                if failed.is_none() {
                    failed = keep_frame(kept, column).err();
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            // The windows left, the last ones pulled back onto the last frame that fits.
            let last_frame = (n - CLIP_SAMPLES) / HOP_LENGTH;
            while self.next_window * self.hop <= n - CLIP_SAMPLES {
                let frame = nearest_frame(self.next_window * self.hop).min(last_frame);
                if self.starts.last() != Some(&(frame * HOP_LENGTH)) {
                    self.add_window(frame * HOP_LENGTH)?;
                }
                self.next_window += 1;
            }
        }
        let waiting = std::mem::take(&mut self.waiting);
        self.predictor
            .score(&waiting, self.options, &mut self.scored)?;
        let tempo_bpm = match self.tempo.take() {
            Some(tempo) => Some(crate::windows::tempo_of_envelope(&tempo.finish()?)?),
            None => None,
        };
        Ok(self
            .predictor
            .summarise(path, n, &self.starts, self.scored, tempo_bpm, self.options))
    }

    /// The window starting at sample `start` (on the frame grid): its input, scored once a
    /// batch is waiting.
    fn add_window(&mut self, start: usize) -> Result<()> {
        let first = start / HOP_LENGTH - self.first_frame;
        let frames = self.kept.range(first..first + WINDOW_FRAMES);
        let n_mels = self.kept.front().map_or(0, |f| f.power.len());
        let mut power = Array2::zeros((n_mels, WINDOW_FRAMES));
        let mut db = Array2::zeros((n_mels, WINDOW_FRAMES));
        for (t, frame) in frames.enumerate() {
            power
                .column_mut(t)
                .assign(&ndarray::ArrayView1::from(&frame.power));
            db.column_mut(t)
                .assign(&ndarray::ArrayView1::from(&frame.db));
        }
        let input = window_input(
            power.view(),
            db.view(),
            self.predictor.variant,
            self.predictor.route,
            self.predictor.spec().input.size,
        )?;
        self.starts.push(start);
        self.waiting.push(input);
        let batch = self.options.batch_size.max(1);
        if self.waiting.len() == batch {
            let waiting = std::mem::take(&mut self.waiting);
            self.predictor
                .score(&waiting, self.options, &mut self.scored)?;
        }
        Ok(())
    }

    /// Drop the frames no window can need any more: those before the next window's first
    /// frame and before the last frame a window could be pulled back to.
    fn forget_frames(&mut self) {
        let next = nearest_frame(self.next_window * self.hop);
        let pulled_back = self.received.saturating_sub(CLIP_SAMPLES) / HOP_LENGTH;
        let needed_from = next.min(pulled_back);
        while self.first_frame < needed_from && !self.kept.is_empty() {
            self.kept.pop_front();
            self.first_frame += 1;
        }
    }
}

fn keep_frame(kept: &mut VecDeque<Frame>, column: &[f32]) -> Result<()> {
    let power = column.to_vec();
    let mut db = power.clone();
    // Each value's dB relative to 1, as `track_windows` takes it once for the whole track.
    power_to_db_inplace(
        &mut ndarray::ArrayViewMut1::from(db.as_mut_slice()),
        DbRef::Value(1.0),
        AMIN,
        None,
    )?;
    kept.push_back(Frame { power, db });
    Ok(())
}

/// The frame nearest to sample `nominal` (as [`crate::window_starts`] rounds).
fn nearest_frame(nominal: usize) -> usize {
    (nominal as f64 / HOP_LENGTH as f64).round() as usize
}
