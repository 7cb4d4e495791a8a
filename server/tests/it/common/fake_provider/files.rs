//! The fake's OpenAI Files API, kept in memory.

use super::*;

/// Files uploaded to `POST /v1/files`, kept in memory.
#[derive(Default)]
pub(super) struct Files {
    pub(super) next: u64,
    pub(super) stored: Vec<StoredFile>,
}

pub(super) struct StoredFile {
    pub(super) id: String,
    pub(super) filename: String,
    pub(super) purpose: String,
    pub(super) content: Vec<u8>,
}

impl StoredFile {
    fn object(&self) -> Value {
        json!({
            "id": self.id,
            "object": "file",
            "bytes": self.content.len(),
            "created_at": CREATED,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": null,
        })
    }
}

/// The parts of a `multipart/form-data` body: `(name, filename, content)`.
pub(super) fn multipart_parts(
    content_type: &str,
    body: &[u8],
) -> Vec<(String, Option<String>, Vec<u8>)> {
    let Some(boundary) = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
    else {
        return Vec::new();
    };
    let delimiter = format!("--{}", boundary.trim_matches('"'));
    let delimiter = delimiter.as_bytes();
    let find = |haystack: &[u8], needle: &[u8], from: usize| {
        haystack
            .get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut parts = Vec::new();
    let Some(mut at) = find(body, delimiter, 0) else {
        return parts;
    };
    loop {
        let start = at + delimiter.len();
        if body.get(start..start + 2) == Some(b"--".as_slice()) {
            break;
        }
        let Some(end) = find(body, delimiter, start) else {
            break;
        };
        let part = &body[start..end];
        let part = part.strip_prefix(b"\r\n".as_slice()).unwrap_or(part);
        let part = part.strip_suffix(b"\r\n".as_slice()).unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..split]).into_owned();
            let content = part[split + 4..].to_vec();
            let param = |key: &str| {
                let needle = format!("{key}=\"");
                head.find(&needle).and_then(|i| {
                    let rest = &head[i + needle.len()..];
                    rest.find('"').map(|j| rest[..j].to_owned())
                })
            };
            if let Some(name) = param(" name") {
                parts.push((name, param("filename"), content));
            }
        }
        at = end;
    }
    parts
}

pub(super) fn no_such_file(id: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        json!({"error": {
            "message": format!("No such File object: {id}"),
            "type": "invalid_request_error",
            "param": "id",
            "code": null,
        }}),
    )
}

pub(super) async fn files_upload(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = admit(&fake, uri.path(), &headers, &body, Flavor::OpenAi).await {
        return refused;
    }
    let parts = multipart_parts(header(&headers, "content-type").unwrap_or_default(), &body);
    let purpose = parts
        .iter()
        .find(|(name, _, _)| name == "purpose")
        .map(|(_, _, content)| String::from_utf8_lossy(content).into_owned());
    let file = parts.into_iter().find(|(name, _, _)| name == "file");
    let (Some(purpose), Some((_, filename, content))) = (purpose, file) else {
        return error_response(
            Flavor::OpenAi,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Value::Null,
            "'file' and 'purpose' are required".into(),
        );
    };
    let mut files = fake.files.lock().unwrap();
    files.next += 1;
    let stored = StoredFile {
        id: format!("file-fake{}", files.next),
        filename: filename.unwrap_or_else(|| "upload".into()),
        purpose,
        content,
    };
    let object = stored.object();
    files.stored.push(stored);
    json_response(StatusCode::OK, object)
}

pub(super) async fn files_list(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admit(&fake, uri.path(), &headers, &[], Flavor::OpenAi).await {
        return refused;
    }
    let files = fake.files.lock().unwrap();
    let data: Vec<Value> = files.stored.iter().map(StoredFile::object).collect();
    json_response(
        StatusCode::OK,
        json!({
            "object": "list",
            "data": data,
            "first_id": data.first().map(|f| f["id"].clone()),
            "last_id": data.last().map(|f| f["id"].clone()),
            "has_more": false,
        }),
    )
}

pub(super) async fn files_get(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admit(&fake, uri.path(), &headers, &[], Flavor::OpenAi).await {
        return refused;
    }
    let files = fake.files.lock().unwrap();
    match files.stored.iter().find(|f| f.id == id) {
        Some(file) => json_response(StatusCode::OK, file.object()),
        None => no_such_file(&id),
    }
}

pub(super) async fn files_content(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admit(&fake, uri.path(), &headers, &[], Flavor::OpenAi).await {
        return refused;
    }
    let files = fake.files.lock().unwrap();
    match files.stored.iter().find(|f| f.id == id) {
        Some(file) => (
            [(CONTENT_TYPE, "application/octet-stream")],
            file.content.clone(),
        )
            .into_response(),
        None => no_such_file(&id),
    }
}

pub(super) async fn files_delete(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = admit(&fake, uri.path(), &headers, &[], Flavor::OpenAi).await {
        return refused;
    }
    let mut files = fake.files.lock().unwrap();
    let before = files.stored.len();
    files.stored.retain(|f| f.id != id);
    if files.stored.len() == before {
        return no_such_file(&id);
    }
    json_response(
        StatusCode::OK,
        json!({"id": id, "object": "file", "deleted": true}),
    )
}
