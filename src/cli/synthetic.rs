//! `demo` and `generate`: synthetic workloads and logs.

use super::*;

pub(super) fn demo(logs: &[String], (config, config_path): (&Config, Option<&PathBuf>), args: DemoArgs) -> Result<()> {
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if !positive(args.rate) || !positive(args.speed) {
        usage!("--rate and --speed must be more than zero");
    }
    let path = match logs {
        [] => crate::demo::temporary_log()?,
        [one] => PathBuf::from(one),
        _ => usage!("the demo writes one log: give --log once"),
    };
    let rec = crate::recorder::Recorder::open(&path)?;
    eprintln!("ajentik demo: writing a simulated multi-agent workload to {}", path.display());
    eprintln!("  watch it: ajentik monitor --follow --export json --log {}", path.display());
    eprintln!("  report:   ajentik monitor --log {}", path.display());
    if args.count.is_none() && args.run_for.is_none() {
        eprintln!("  Ctrl-C stops it.");
    }
    let settings = crate::demo::DemoSettings {
        rate: args.rate,
        seed: args.seed,
        speed: args.speed,
        count: args.count,
        duration: args.run_for,
    };
    if args.count.is_none() && args.run_for.is_none() && io::stdout().is_terminal() {
        // The simulation runs beside the live view; quitting the view ends both.
        let sim = rec.clone();
        std::thread::spawn(move || crate::demo::run(sim, settings));
        let prices = price_table(config, None)?;
        return live_view(&[path.display().to_string()], None, (config, config_path), prices, Live::default());
    }
    let requests = crate::demo::run(rec.clone(), settings)?;
    let stats = rec.stats();
    eprintln!("ajentik demo: {requests} requests, {} events written to {}", stats.written, path.display());
    if stats.failed > 0 {
        bail!("{} events could not be written to {}", stats.failed, path.display());
    }
    // A run that ended by itself shows what it did: the report of its log.
    let specs = vec![source::LogSpec::File(path)];
    let fold = configured_fold(config, None, price_table(config, None)?);
    let (_tailer, fold) = read_into(specs, fold, default_threads())?;
    let when = When::at(None);
    let text = render(&fold, when, &config.thresholds(when.utc_offset), Format::Markdown, false)?;
    emit(&text, None)
}

pub(super) fn generate(logs: &[String], args: GenerateArgs) -> Result<()> {
    use crate::synth::{Generator, Settings};
    if args.format != GenerateFormat::Ajentik {
        let Some(dir) = args.output.clone() else {
            usage!("--format claude-code and codex write a folder: give --output DIR");
        };
        let start = args.start.unwrap_or_else(|| wall_clock() - args.sessions as i64 * 900_000_000 - 3_600_000_000);
        let written = match args.format {
            GenerateFormat::ClaudeCode => crate::synth::sessions::claude_code(&dir, args.sessions, args.seed, start),
            _ => crate::synth::sessions::codex(&dir, args.sessions, args.seed, start),
        }
        .with_context(|| format!("cannot write {}", dir.display()))?;
        eprintln!(
            "wrote {} files, {} lines, {} bytes under {}",
            written.files,
            written.lines,
            written.bytes,
            dir.display()
        );
        return Ok(());
    }
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        usage!("--rate must be more than zero");
    }
    if !(0.0..=1.0).contains(&args.malformed) {
        usage!("--malformed must be a share between 0 and 1");
    }
    let output = match (&args.output, logs) {
        (Some(_), [_, ..]) => usage!("give --output or --log, not both: both name the file generate writes"),
        (Some(path), []) => Some(path.clone()),
        (None, [one]) => Some(PathBuf::from(one)),
        (None, []) => None,
        (None, [_, _, ..]) => usage!("generate writes one log: give --log once"),
    };
    let settings =
        |start| Settings { seed: args.seed, start, requests_per_second: args.rate, malformed_ratio: args.malformed };
    // Without --start, the log ends just before now, never after: a dry run
    // finds how long the simulated span is (the same seed writes the same span).
    let start = match args.start {
        Some(start) => start,
        None => {
            let mut dry = Generator::new(settings(0));
            dry.write_lines(&mut io::sink(), args.lines)?;
            wall_clock() - dry.latest().max(0) - 1
        }
    };
    let mut generator = Generator::new(settings(start));
    match &output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = io::BufWriter::new(file);
            generator.write_lines(&mut w, args.lines).with_context(|| format!("cannot write {}", path.display()))?;
            w.flush().with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => match generator.write_lines(&mut io::stdout().lock(), args.lines) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            r => {
                r.context("cannot write to standard output")?;
            }
        },
    }
    Ok(())
}
