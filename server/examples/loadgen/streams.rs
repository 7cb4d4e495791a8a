//! `loadgen stream`: many concurrent streaming requests, their time to first byte, and the
//! server's memory once they are all open.

use super::*;

pub(crate) struct StreamResult {
    ttfb: Duration,
    done: bool,
}

pub(crate) async fn one_stream(
    target: Arc<Target>,
    opened: Arc<AtomicUsize>,
    finished_opening: Arc<tokio::sync::Notify>,
) -> Result<StreamResult, String> {
    let start = Instant::now();
    let outcome = async {
        let mut response = target.request().send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ));
        }
        let first = response
            .chunk()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the stream ended before its first byte")?;
        Ok((response, first, start.elapsed()))
    }
    .await;
    // Count the stream as settled (open or failed) either way, so the waiter never hangs.
    opened.fetch_add(1, Ordering::SeqCst);
    finished_opening.notify_one();
    let (mut response, first, ttfb) = outcome?;
    let mut body = first.to_vec();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
    }
    let done = body.windows(12).any(|w| w == b"data: [DONE]");
    Ok(StreamResult { ttfb, done })
}

pub(crate) async fn streams_mode(
    common: Common,
    streams: usize,
    open_rate: f64,
    ready_file: Option<PathBuf>,
    ready_wait: f64,
) -> Result<Value, String> {
    if streams == 0 || open_rate < 0.0 || ready_wait < 0.0 {
        return Err("--streams must be positive, --open-rate and --ready-wait not negative".into());
    }
    let target = Target::new(&common, true, streams)?;
    let memory_before = memory(common.pid);
    eprintln!(
        "loadgen stream {}: opening {streams} streams at {} /s",
        common.label,
        if open_rate > 0.0 {
            open_rate.to_string()
        } else {
            "once".into()
        }
    );
    let opened = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(tokio::sync::Notify::new());
    let begin = tokio::time::Instant::now();
    let mut handles = Vec::with_capacity(streams);
    for i in 0..streams {
        if open_rate > 0.0 {
            tokio::time::sleep_until(begin + Duration::from_secs_f64(i as f64 / open_rate)).await;
        }
        handles.push(tokio::spawn(one_stream(
            target.clone(),
            opened.clone(),
            notify.clone(),
        )));
    }
    while opened.load(Ordering::SeqCst) < streams {
        // `notify_one` stores a permit, so a wake-up between the load and the wait is not lost.
        let _ = tokio::time::timeout(Duration::from_millis(50), notify.notified()).await;
    }
    let all_open_s = begin.elapsed().as_secs_f64();
    let memory_open = memory(common.pid);
    eprintln!(
        "loadgen stream {}: all {streams} streams settled after {all_open_s:.2} s, memory {memory_open}",
        common.label
    );
    if let Some(path) = &ready_file {
        std::fs::write(path, format!("open {streams}\n"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if ready_wait > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(ready_wait)).await;
    }
    let memory_open_later = memory(common.pid);
    let mut ttfbs = Vec::with_capacity(streams);
    let mut completed = 0;
    let mut errors = Errors::default();
    for handle in handles {
        match handle.await {
            Ok(Ok(result)) => {
                ttfbs.push(result.ttfb);
                if result.done {
                    completed += 1;
                } else {
                    errors.add("a stream ended without data: [DONE]".into());
                }
            }
            Ok(Err(e)) => errors.add(e),
            Err(e) => errors.add(format!("task failed: {e}")),
        }
    }
    Ok(json!({
        "mode": "stream",
        "label": common.label,
        "url": common.url,
        "streams": streams,
        "open_rate": open_rate,
        "opened": ttfbs.len(),
        "completed": completed,
        "errors": errors.count,
        "error_examples": errors.examples,
        "all_open_s": round1(all_open_s * 10.0) / 10.0,
        "ttfb": percentiles(&mut ttfbs),
        "memory_before": memory_before,
        "memory_all_open": memory_open,
        "memory_all_open_after_wait": memory_open_later,
        "memory_end": memory(common.pid),
    }))
}
