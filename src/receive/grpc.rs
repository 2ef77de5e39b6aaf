//! OTLP/gRPC: the trace, logs and metrics Export services, served by tonic (shell).
//! Built with the default `grpc` cargo feature; without it `--grpc-listen` must be
//! `off`.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Receiver;

#[cfg(feature = "grpc")]
mod services {
    use std::sync::Arc;

    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsService;
    use opentelemetry_proto::tonic::collector::logs::v1::{
        ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
    };
    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsService;
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService;
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
    };
    use tonic::{Request, Response, Status};

    use super::super::{Receiver, WriteFailed, decode};
    use crate::time::wall_clock;

    /// The shared receiver, as the three generated service traits want it.
    #[derive(Clone)]
    pub struct Otlp(pub Arc<Receiver>);

    fn unavailable(error: WriteFailed) -> Status {
        Status::unavailable(error.to_string())
    }

    #[tonic::async_trait]
    impl TraceService for Otlp {
        async fn export(
            &self,
            request: Request<ExportTraceServiceRequest>,
        ) -> Result<Response<ExportTraceServiceResponse>, Status> {
            let outcome = self.0.traces(request.get_ref()).map_err(unavailable)?;
            let partial_success = (outcome.rejected > 0).then_some(ExportTracePartialSuccess {
                rejected_spans: outcome.rejected as i64,
                error_message: outcome.message,
            });
            Ok(Response::new(ExportTraceServiceResponse { partial_success }))
        }
    }

    #[tonic::async_trait]
    impl LogsService for Otlp {
        async fn export(
            &self,
            request: Request<ExportLogsServiceRequest>,
        ) -> Result<Response<ExportLogsServiceResponse>, Status> {
            let outcome = self.0.logs(request.get_ref(), wall_clock()).map_err(unavailable)?;
            let partial_success = (outcome.rejected > 0).then_some(ExportLogsPartialSuccess {
                rejected_log_records: outcome.rejected as i64,
                error_message: outcome.message,
            });
            Ok(Response::new(ExportLogsServiceResponse { partial_success }))
        }
    }

    #[tonic::async_trait]
    impl MetricsService for Otlp {
        async fn export(
            &self,
            request: Request<ExportMetricsServiceRequest>,
        ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
            self.0.metrics(decode::data_points(request.get_ref()));
            Ok(Response::new(ExportMetricsServiceResponse { partial_success: None }))
        }
    }
}

/// Serves OTLP/gRPC on `listener` until `shutdown` turns true.
#[cfg(feature = "grpc")]
pub async fn serve(
    listener: TcpListener,
    receiver: Arc<Receiver>,
    token: Option<String>,
    body_limit: usize,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsServiceServer;
    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsServiceServer;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
    use tonic::codec::CompressionEncoding;

    let otlp = services::Otlp(receiver);
    let expected = token.map(|t| format!("Bearer {t}"));
    let check = move |request: tonic::Request<()>| match &expected {
        None => Ok(request),
        Some(expected) => {
            let given = request.metadata().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
            if super::http::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                Ok(request)
            } else {
                Err(tonic::Status::unauthenticated("missing or wrong authorization: Bearer token"))
            }
        }
    };
    let traces = TraceServiceServer::new(otlp.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(body_limit);
    let logs = LogsServiceServer::new(otlp.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(body_limit);
    let metrics = MetricsServiceServer::new(otlp)
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(body_limit);
    let incoming = tokio_stream_of(listener);
    tonic::transport::Server::builder()
        .add_service(tonic::service::interceptor::InterceptedService::new(traces, check.clone()))
        .add_service(tonic::service::interceptor::InterceptedService::new(logs, check.clone()))
        .add_service(tonic::service::interceptor::InterceptedService::new(metrics, check))
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = shutdown.changed().await;
        })
        .await?;
    Ok(())
}

#[cfg(feature = "grpc")]
fn tokio_stream_of(listener: TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener)
}

/// Without the `grpc` feature there is nothing to serve: `serve` refuses a gRPC
/// address before it gets here.
#[cfg(not(feature = "grpc"))]
pub async fn serve(
    _listener: TcpListener,
    _receiver: Arc<Receiver>,
    _token: Option<String>,
    _body_limit: usize,
    _shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    anyhow::bail!("this ajentik was built without the grpc feature")
}
