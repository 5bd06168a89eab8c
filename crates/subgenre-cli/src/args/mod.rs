//! Command-line arguments (clap). Each command converts its arguments into the library's
//! settings for its operation; the libraries know nothing of clap.

mod library;
mod model;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use subgenre_dataset::ClipRate;
use subgenre_extract::image::Interpolation;
use subgenre_extract::{InputRoute, MelVariant};
use subgenre_study::Grid;

pub use library::{FilterArgs, LibraryArgs, LibraryCommand};
pub use model::ModelEditArgs;

pub const ABOUT: &str = "Tell hard-techno sub-genres apart from audio \
(bouncy, tekno, warzone, industrial, non-techno-drop, psytech, oldschool-hardstyle).";

#[derive(Debug, Parser)]
#[command(
    name = "subgenre",
    version = subgenre_core_version(),
    about = ABOUT,
    long_about = None,
    after_help = "Every command that reads a data set defaults to the bundled demo set (30 clips); \
pass --data ../shared/data/hardtechno for the study's full set.\n\
List-valued options take comma-separated values."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Folder for derived data (unpacked demo set, feature tables, mel stores).
    /// Default: $XDG_CACHE_HOME/subgenre or ~/.cache/subgenre.
    #[arg(long, global = true, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

fn subgenre_core_version() -> &'static str {
    // clap wants a 'static str; the version string is built once per process.
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(subgenre_core::version_string)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look at a data set: counts per class and track, missing clips, duplicates.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Cut the study's 8 s clips out of full tracks, at each labels row's clip_start.
    Clip(ClipArgs),
    /// Show what audio files are: container, codec, rate, channels, duration.
    Info(InfoArgs),
    /// Compute the study's per-clip features (librosa-compatible) into a CSV.
    Features(FeaturesArgs),
    /// Train and score the classic models (SVM, boosters, soft vote) on a features CSV.
    Baseline(BaselineArgs),
    /// Build the cached mel-spectrogram store of a data set (what training reads).
    Mels(MelsArgs),
    /// Write every clip's mel-spectrogram as an 8-bit grey PNG (the study's CNN images).
    Melgrams(MelgramsArgs),
    /// Train a CNN on mel-spectrograms, one run per seed (model, report, learning curves).
    Train(TrainArgs),
    /// The study's CNN grid: networks x variants x sizes x seeds, resumable, with summaries.
    Experiment(TrainArgs),
    /// Score a saved CNN on a data set's test part (or all of it) or on a folder of images.
    Evaluate(EvaluateArgs),
    /// Fine-tune a trained CNN on class folders of images or audio (transfer learning), or
    /// train its network from scratch on the same split for comparison.
    Transfer(TransferArgs),
    /// Classify tracks of any length: 8 s windows, a timeline per track and a track label.
    Predict(PredictArgs),
    /// musicnn's layers over audio files (per 3 s patch and the file's mean): the pretrained
    /// MSD_musicnn or MTT_musicnn network, converted from the musicnn 0.1.0 wheel.
    Embed(EmbedArgs),
    /// About the shipped model (or a saved one): what it is and how it was trained.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Rerun the whole study in one command (data set, features, classic models under both
    /// protocols, mel stores, CNNs, transfer) into an HTML report beside the study's figures.
    Reproduce(ReproduceArgs),
    /// Show or empty the cache folder.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// A DJ's library: scan folders into a database, list, export playlists, find similar
    /// tracks, write labels into tags.
    Library(LibraryArgs),
}

/// Which data set and which of its classes.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Data folder with labels_final.csv and clips/. Default: the bundled demo set.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Classes: `five` (bouncy, tekno, warzone, industrial, non-techno-drop; the study's
    /// setting), `all` (the seven), or a comma-separated list. Other rows are left out.
    #[arg(long, default_value = "five", value_name = "SET")]
    pub classes: String,
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Rows, tracks and clips; per-class counts; rows without clips; duplicate clips.
    Stats {
        #[command(flatten)]
        data: DataArgs,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// The study's train/validation/test split grouped by track (~67/16.5/16.5), for a seed.
    Split {
        #[command(flatten)]
        data: DataArgs,
        /// Seed of the split (each seed gives its own split).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Print {"seed", "train": [sample_id...], "val": [...], "test": [...]} (what
        /// `baseline --split FILE` reads back).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ClipArgs {
    /// Folder of full tracks named <spot_id>.<ext> (mp3, wav, flac, ogg, m4a).
    #[arg(long, value_name = "DIR")]
    pub tracks: PathBuf,
    /// Labels CSV giving sample_id, spot_id and clip_start per clip.
    /// Default: the --data folder's labels_final.csv.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output folder; clips are written as <sample_id>.<format>. Existing clips are skipped.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 8.0, value_name = "SECONDS")]
    pub duration: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "wav")]
    pub format: ClipFormatArg,
    /// Output sample rate in Hz, or `native` to keep the track's own.
    #[arg(long, default_value = "native", value_name = "HZ|native")]
    pub sr: ClipRate,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ClipFormatArg {
    Wav,
    Flac,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Audio files or folders (walked recursively, as `predict` walks them).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The network: MSD_musicnn (Million Song Dataset tags) or MTT_musicnn (MagnaTagATune).
    #[arg(long, default_value = "MSD_musicnn", value_name = "NAME")]
    pub model: subgenre_predict::embed::MusicnnModel,
    /// The layer: taggram (50 tag probabilities), timbral, temporal, cnn1, cnn2, cnn3 (per
    /// frame), mean_pool, max_pool (753 values a patch) or penultimate (200).
    #[arg(long, default_value = "max_pool", value_name = "LAYER")]
    pub layer: subgenre_predict::embed::MusicnnLayer,
    /// Write {model, layer, width, tags, files: [{path, rows, mean, values}], errors} as JSON
    /// ("-": stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write each file's rows as DIR/<name>.npy ([rows, width] float32) and its mean as
    /// DIR/<name>.mean.npy.
    #[arg(long, value_name = "DIR")]
    pub npy: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Audio files or folders (walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// One JSON object per line: {path, codec, sample_rate, channels, duration_s, samples_22050}
    /// or {path, error}.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Where the cache is and how much each kind of entry takes.
    Info,
    /// Delete everything in the cache.
    Clean,
}

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Audio files or folders to analyse instead of a data set (no labels; first column `path`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Output CSV: sample_id, spot_id, chroma_stft, rmse, spec_cent, spec_bw, rolloff, zcr,
    /// mfcc1..mfcc7, label (or path, features... for plain files).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Richer statistics for the classic models: standard deviations, all 20 MFCCs, spectral
    /// contrast, onset strength and tempo (BPM).
    #[arg(long)]
    pub rich: bool,
    /// `librosa` (the study's features, librosa 0.11-compatible) or `pyaudioanalysis` (the
    /// study's alternative: pyAudioAnalysis 0.3 short-term features at the file's own rate,
    /// 50 ms windows, 25 ms steps, mapped into the same 13 columns).
    #[arg(long, default_value = "librosa", value_name = "NAME")]
    pub extractor: String,
    /// pyaudioanalysis only: `study` fills the columns as the study's notebook did (chroma_stft
    /// is really MFCC 6-13 and chroma 1-4, rmse is energy, mfcc6 = mfcc7 = mean of MFCC 1-5);
    /// `corrected` fills them with what their names promise.
    #[arg(long, default_value = "study", value_name = "MAPPING")]
    pub mapping: String,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct MelsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// `normal` (fmax 11 000 Hz) or `low` (fmax 2 000 Hz); both: n_fft 1024, hop 512, 128 mels,
    /// fmin 20, dB with ref = max.
    #[arg(long, default_value = "normal", value_name = "VARIANT")]
    pub variant: MelVariant,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct MelgramsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// `normal` or `low`.
    #[arg(long, default_value = "normal", value_name = "VARIANT")]
    pub variant: MelVariant,
    /// Image side in pixels (300: the study's 3-inch figures at 100 dpi).
    #[arg(long, default_value_t = 300, value_name = "PX")]
    pub size: usize,
    /// `study-png`: the study's specshow figure (symlog frequency axis), rebuilt exactly;
    /// `array`: the min-max scaled dB matrix, area-resized (the canonical model input).
    #[arg(long, default_value = "study-png", value_name = "ROUTE")]
    pub route: InputRoute,
    /// Output folder (one <sample_id>.png per clip).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Features CSV as `subgenre features` writes it (sample_id, spot_id, features..., label).
    #[arg(long, value_name = "FILE")]
    pub features: PathBuf,
    /// Classes to keep: five, all, or a comma-separated list.
    #[arg(long, default_value = "five", value_name = "SET")]
    pub classes: String,
    /// Models: svm, boost (pure Rust), xgboost, lightgbm (when built with those features),
    /// vote, or all.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub models: String,
    /// `group` (default; the honest split grouped by track, validation for early stopping and
    /// tuning) or `study` (one random 80/20 clip split, early stopping and tuning on the test
    /// part, as the study did: leaky, and labelled so).
    #[arg(long, default_value = "group", value_name = "PROTOCOL")]
    pub protocol: String,
    /// One run per seed, each with its own split.
    #[arg(long, default_value = "42,43,44,45,46", value_name = "LIST")]
    pub seeds: String,
    /// Random-search draws per booster (0: the study's untuned parameters; 25: its tuned rows).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub tune: usize,
    /// A fixed split file (from `subgenre dataset split --json`) used for every seed.
    #[arg(long, value_name = "FILE")]
    pub split: Option<PathBuf>,
    /// Soft-vote members and weights, e.g. `xgboost:0.5,lightgbm:0.5`.
    #[arg(long, value_name = "LIST")]
    pub vote: Option<String>,
    /// Output folder: report.json and one confusion-matrix PNG per model (last seed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Options shared by `train` and `experiment` (lists are grids for `experiment`).
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Networks: cnn_main, cnn_drop_first, cnn_1_2, cnn_2_1 (the study's), cnn_pool_1x2,
    /// cnn_pool_2x1 (the pools the study meant), compact (this project's, < 5 MB).
    #[arg(long, default_value = "compact", value_name = "LIST")]
    pub arch: String,
    /// Mel variants: normal (fmax 11 kHz) and/or low (fmax 2 kHz).
    #[arg(long, default_value = "normal", value_name = "LIST")]
    pub variant: String,
    /// Input sizes in pixels (square): 128 and/or 256.
    #[arg(long, default_value = "128", value_name = "LIST")]
    pub size: String,
    /// `array`: the min-max scaled dB matrix, area-resized (canonical); `study-png`: the
    /// study's specshow figure rebuilt exactly, then resized as its code did.
    #[arg(long, default_value = "array", value_name = "ROUTE")]
    pub route: String,
    /// Read the inputs from a folder of <sample_id>.png images (as `subgenre melgrams` or the
    /// study wrote them) instead of the audio; grayscale, bilinear resize as the study.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// One run per seed, each with its own stratified split grouped by track.
    #[arg(long, default_value = "42,43,44,45,46", value_name = "LIST")]
    pub seeds: String,
    /// A fixed split file (from `subgenre dataset split --json`) for every seed.
    #[arg(long, value_name = "FILE")]
    pub split: Option<PathBuf>,
    /// Stop after this many epochs without a lower validation loss (default: 10 for `train`,
    /// 5 for `experiment`, as the study).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// The most epochs per run.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub epochs: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3, value_name = "LR")]
    pub lr: f64,
    /// Clips per batch.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub batch_size: usize,
    /// Training augmentation: none, spec (SpecAugment-style time and frequency masks),
    /// mixup, or spec+mixup. On the full set none of them raised compact's 5-seed F1 beyond
    /// what other initial weights move it (BENCHMARKS.md), and none trains fastest.
    #[arg(long, default_value = "none", value_name = "WHICH")]
    pub augment: String,
    /// Train the model to ship (`train` only): on the train and test parts together, early
    /// stopping on the validation part. Its report then scores the validation part, which
    /// early stopping saw: an optimistic figure; the honest one is the same run without it.
    #[arg(long = "final")]
    pub final_fit: bool,
    /// compact only: channels of the first block (then x2, x4, x8).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub channels: usize,
    /// Worker threads for training (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output folder: report.json, and per run a folder with the model, its run.json,
    /// learning curves and confusion matrix. Rerun on the same folder to resume.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A saved model (model.sgcnn from `train`). Repeat it to score an ensemble: the models'
    /// class probabilities averaged (they must share classes and input; the split defaults to
    /// the first model's).
    #[arg(long, value_name = "FILE", required = true)]
    pub model: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Score the test part of this seed's grouped split (the default: the split the model's
    /// own training used, when it says; else every clip of the data set).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Score every clip of the data set (no split).
    #[arg(long, conflicts_with_all = ["seed", "split"])]
    pub all: bool,
    /// Score the test part of this split file.
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    pub split: Option<PathBuf>,
    /// A folder of class folders of images (PNG/JPEG) to score instead of a data set.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Where to write report.json and the confusion matrix PNG (optional).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also measure similarity search (`library similar`) on the scored clips: the share of
    /// each clip's K nearest clips by the models' embeddings (cosine) that have its label,
    /// beside the share at random; neighbours never come from the clip's own track.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub neighbours: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Audio files or folders: MP3, WAV, FLAC, OGG, AAC/M4A. Folders are walked recursively,
    /// each real folder and file once (a link loop, a second path to one file and anything not a
    /// regular file, such as a named pipe, is skipped and listed at the end). Any length: a file
    /// is classified as it is decoded, in bounded memory.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// A model saved by `subgenre train`. Repeat it to average several (they must share classes
    /// and input). Default: the shipped hard-techno models (three, averaged).
    #[arg(long, value_name = "FILE")]
    pub model: Vec<PathBuf>,
    /// Seconds between the starts of the 8 s windows.
    #[arg(long, default_value_t = 4.0, value_name = "SECONDS")]
    pub hop: f64,
    /// Label a track `uncertain` when its mean probability is below P (0..1).
    #[arg(long, value_name = "P")]
    pub min_confidence: Option<f32>,
    /// Write one row per window (path, start_s, end_s, one column per class) to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write JSON for tools to FILE (`-`: to standard output instead of the table).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Draw class probabilities over time: a PNG for one track, else a folder of PNGs.
    #[arg(long, value_name = "PATH")]
    pub timeline: Option<PathBuf>,
    /// Skip the tempo estimate.
    #[arg(long)]
    pub no_tempo: bool,
    /// Only the I-th of N parts of the file list (I from 0), for array jobs: parts are
    /// chosen by a hash of each file's path under the folder given, so they never overlap
    /// and together hold every file, whatever the machine or mount point.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<subgenre_predict::catalogue::Shard>,
    /// Append one JSON line per finished file to FILE as it finishes (a track, as in
    /// `--json`'s `tracks`; a file that failed: `{"path", "error"}`).
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// With --jsonl: skip the files FILE already has a line for (failed ones too, unless
    /// --retry-errors); a half-written last line left by a kill is dropped.
    #[arg(long, requires = "jsonl")]
    pub resume: bool,
    /// With --resume: try the files that failed before again.
    #[arg(long, requires = "resume")]
    pub retry_errors: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// What the model is: network, classes, input, size, and its training record (for an
    /// ensemble, each member's).
    Info {
        /// A saved model; repeat it for several (default: the shipped ones).
        #[arg(long, value_name = "FILE")]
        model: Vec<PathBuf>,
        /// Print each model's whole description as JSON (an array, one per model).
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a saved model's training record (its `trained` notes), keeping its weights byte
    /// for byte.
    Edit(ModelEditArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Rerun with the same --out to resume: finished steps with the same inputs \
are skipped (OUT/steps.json), finished training runs are kept and a killed one resumes from its \
last epoch. OUT/index.html is one self-contained page; OUT/report.json holds the same figures \
for tools.\n\nExamples:\n  subgenre reproduce                          # the bundled demo set, \
a few minutes\n  subgenre reproduce --data ../shared/data/hardtechno --gtzan \
../shared/data/gtzan/images --out study"
)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// `quick`: the shipped network (compact) and the study's best (cnn_drop_first) on normal
    /// 128 inputs; `study`: the study's whole grid (cnn_main, cnn_drop_first, cnn_1_2 on normal
    /// and low, 128 and 256; cnn_2_1 on normal 128) beside compact.
    #[arg(long, default_value = "quick", value_name = "GRID")]
    pub grid: Grid,
    /// Class folders of spectrogram images (e.g. ../shared/data/gtzan/images) for the transfer
    /// step: the first seed's compact model fine-tuned on them, and the same network from
    /// scratch. Left out without it.
    #[arg(long, value_name = "DIR")]
    pub gtzan: Option<PathBuf>,
    /// Seeds: one split and one run per seed, for every model.
    #[arg(long, default_value = "42,43,44,45,46", value_name = "LIST")]
    pub seeds: String,
    /// The most epochs per CNN run (the study: 50).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub epochs: usize,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output folder: index.html, report.json, and one folder per step.
    #[arg(long, default_value = "subgenre-report", value_name = "DIR")]
    pub out: PathBuf,
}

/// `subgenre transfer` arguments.
#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("source").required(true).args(["images", "audio"])),
    after_help = "Every run's folder holds model.sgcnn, result.json, split.json, curves.png and \
confusion.png; OUT/report.json lists the runs (a report already there keeps the runs of the \
other mode, so transfer and --scratch can share one folder) and OUT/confusion_<mode>.png sums \
this call's confusion matrices. A model trained on --audio works with `subgenre predict --model`; \
one trained on --images with `subgenre evaluate --model M --images DIR`."
)]
pub struct TransferArgs {
    /// The trained model to start from (model.sgcnn from `subgenre train`): its network and
    /// input size (and, for --audio, its mel variant and route), and its weights unless
    /// --scratch. Its classification layer is replaced by one for the new classes.
    #[arg(long, value_name = "FILE")]
    pub base: PathBuf,
    /// Class folders of images, DIR/<class>/**/*.png|jpg: read as grey as OpenCV's
    /// imread(IMREAD_GRAYSCALE) does (alpha ignored), resized to the base model's input,
    /// scaled to 0..1. Split stratified by class, 70/15/15.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Class folders of audio files of any length, DIR/<class>/** (MP3, WAV, FLAC, OGG,
    /// AAC/M4A): 8 s windows every 4 s, made into the base model's inputs. Split stratified
    /// and grouped by file (about 67/16.5/16.5): no file has windows on two sides.
    #[arg(long, value_name = "DIR")]
    pub audio: Option<PathBuf>,
    /// One run per seed (the new layer's weights, dropout, shuffling; with --vary-split also
    /// the split).
    #[arg(long, default_value = "42,43,44,45,46", value_name = "LIST")]
    pub seeds: String,
    /// Keep the first N conv blocks of the base frozen (0: fine-tune every layer).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub freeze: usize,
    /// Train the base model's network from random weights instead, on the same split with
    /// the same budget: the baseline that says whether transfer helped.
    #[arg(long)]
    pub scratch: bool,
    /// Seed of the split, the same for every run (the study's setting).
    #[arg(
        long,
        default_value_t = 42,
        value_name = "N",
        conflicts_with = "vary_split"
    )]
    pub split_seed: u64,
    /// Give each run its own split, made with the run's seed.
    #[arg(long)]
    pub vary_split: bool,
    /// How images are resized: linear (OpenCV's default bilinear, as the study) or area.
    #[arg(
        long,
        default_value = "linear",
        value_name = "HOW",
        conflicts_with = "audio"
    )]
    pub resize: Interpolation,
    /// Inputs per batch.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub batch_size: usize,
    /// The most epochs per run.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub epochs: usize,
    /// Stop after this many epochs without a lower validation loss (the best epoch's weights
    /// are kept).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub patience: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3, value_name = "LR")]
    pub lr: f64,
    /// Worker threads for reading and training (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Output folder: report.json and one folder per run. Rerun on the same folder to resume.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}
