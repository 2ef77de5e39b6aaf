//! A `tracing` layer that writes GenAI spans to the event log (cargo feature
//! `tracing`): a Rust agent built on rig, or anything else that describes its work
//! as `tracing` spans with OpenTelemetry GenAI fields, shows up in ajentik with one
//! line in its subscriber:
//!
//! ```no_run
//! # #[cfg(feature = "tracing")] {
//! use tracing_subscriber::layer::SubscriberExt;
//! let layer = ajentik::layer("agents.jsonl").expect("the log can be opened");
//! tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).ok();
//! # }
//! ```
//!
//! Spans become events when they close, by the same mapping the OTLP receiver
//! uses ([`crate::genai`]): `invoke_agent` an agent request, `chat` (and
//! `text_completion`, `generate_content`, `embeddings`) a model call,
//! `execute_tool` a tool call. Fields recorded after the span was made
//! (`Span::record`, as rig records usage) count; nesting gives trace and parent
//! ids; an `error` field, `otel.status_code = "ERROR"` or an ERROR event inside a
//! span makes it a failure, and an ERROR event is also an error event. Other spans
//! are written only if asked for ([`LayerOptions::other_spans`]), so an agent's own
//! tracing does not flood the log. Writes go through the [`Recorder`]: batching,
//! sampling, errors counted, never a panic in the agent.

use std::fmt;
use std::path::Path;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes as SpanAttributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::{Recorder, WriteError, operation};
use crate::genai::{self, AttrValue, Attributes, MapOptions, Role, SpanEventInput, SpanInput};
use crate::time::wall_clock;

/// What the layer writes besides GenAI spans.
#[derive(Debug, Clone, Copy, Default)]
pub struct LayerOptions {
    /// Also write spans that are not GenAI operations, as `span` events.
    pub other_spans: bool,
    /// Keep message contents (prompts, completions, tool arguments), cut to 1 KiB.
    pub keep_content: bool,
}

/// The layer: spans in, event-log lines out.
pub struct AjentikLayer {
    recorder: Recorder,
    options: LayerOptions,
}

/// A layer writing to the log at `path` (created as needed): GenAI spans only,
/// contents dropped.
pub fn layer(path: impl AsRef<Path>) -> Result<AjentikLayer, WriteError> {
    Ok(AjentikLayer::new(Recorder::open(path)?, LayerOptions::default()))
}

impl AjentikLayer {
    /// A layer writing through an open recorder (its sampling and batching apply).
    pub fn new(recorder: Recorder, options: LayerOptions) -> AjentikLayer {
        AjentikLayer { recorder, options }
    }

    /// The recorder written through (its counters say what was written or lost).
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
}

/// What the layer keeps of an open span, in its extensions.
struct OpenSpan {
    input: SpanInput,
}

/// Field values as the mapping reads them; `message` of an event kept apart.
struct Fields<'a> {
    attributes: &'a mut Attributes,
    keep_content: bool,
}

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: AttrValue) {
        let name = field.name();
        if !self.keep_content && genai::is_content(name) {
            return;
        }
        match self.attributes.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.attributes.push((name.to_owned(), value)),
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, AttrValue::Str(genai::cut(value).to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, AttrValue::Int(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, AttrValue::Int(i64::try_from(value).unwrap_or(i64::MAX)));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, AttrValue::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, AttrValue::Bool(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, AttrValue::Str(genai::cut(&value.to_string()).to_owned()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, AttrValue::Str(genai::cut(&format!("{value:?}")).to_owned()));
    }
}

fn text<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a str> {
    attributes.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
        AttrValue::Str(s) => Some(s.as_str()),
        _ => None,
    })
}

impl<S> tracing_subscriber::Layer<S> for AjentikLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &SpanAttributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = span.parent().and_then(|p| {
            let ext = p.extensions();
            ext.get::<OpenSpan>().map(|open| (open.input.trace_id, open.input.span_id))
        });
        let mut input = SpanInput {
            name: attrs.metadata().name().to_owned(),
            trace_id: Some(parent.and_then(|(trace, _)| trace).unwrap_or_else(operation::new_trace_id)),
            span_id: Some(operation::new_span_id()),
            parent_span_id: parent.and_then(|(_, span)| span),
            start: wall_clock(),
            ..SpanInput::default()
        };
        attrs.record(&mut Fields { attributes: &mut input.attributes, keep_content: self.options.keep_content });
        span.extensions_mut().insert(OpenSpan { input });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(open) = ext.get_mut::<OpenSpan>() {
            values.record(&mut Fields {
                attributes: &mut open.input.attributes,
                keep_content: self.options.keep_content,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        let Some(span) = ctx.event_span(event) else { return };
        let mut fields = Attributes::new();
        event.record(&mut Fields { attributes: &mut fields, keep_content: true });
        let message = text(&fields, "message").or_else(|| text(&fields, "error")).unwrap_or("error").to_owned();
        let error_type = text(&fields, "error.type").unwrap_or(event.metadata().target()).to_owned();
        let mut ext = span.extensions_mut();
        if let Some(open) = ext.get_mut::<OpenSpan>() {
            open.input.error.get_or_insert_with(|| message.clone());
            open.input.events.push(SpanEventInput {
                name: "exception".into(),
                time: wall_clock(),
                attributes: vec![
                    ("exception.type".into(), AttrValue::Str(error_type)),
                    ("exception.message".into(), AttrValue::Str(message)),
                ],
            });
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut open) = span.extensions_mut().remove::<OpenSpan>() else { return };
        let input = &mut open.input;
        input.end = wall_clock();
        finish_fields(input);
        let role = genai::role(input);
        if role == Role::Other && !self.options.other_spans {
            return;
        }
        // The nearest invoke_agent above (still open: parents close after children).
        let ancestor = span.scope().skip(1).find_map(|parent| {
            let ext = parent.extensions();
            match genai::role(&ext.get::<OpenSpan>()?.input) {
                Role::Agent(name) => Some(name),
                _ => None,
            }
        });
        let lines =
            genai::span_to_events(input, ancestor.as_deref(), MapOptions { keep_content: self.options.keep_content });
        // Errors are counted by the recorder; the agent never sees a panic.
        let _ = self.recorder.write_lines(&lines);
    }
}

/// The tracing-opentelemetry conventions some crates use on spans: `otel.name`
/// renames, `otel.status_code = "ERROR"` and an `error` field fail it.
fn finish_fields(input: &mut SpanInput) {
    if let Some(name) = text(&input.attributes, "otel.name") {
        input.name = name.to_owned();
    }
    let failed_status = text(&input.attributes, "otel.status_code").is_some_and(|s| s.eq_ignore_ascii_case("error"));
    let error_field = input
        .attributes
        .iter()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.clone())
        .filter(|v| !matches!(v, AttrValue::Bool(false)));
    if input.error.is_none() && (failed_status || error_field.is_some()) {
        let message = text(&input.attributes, "error.message")
            .or(match &error_field {
                Some(AttrValue::Str(s)) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or("")
            .to_owned();
        input.error = Some(message);
    }
}
