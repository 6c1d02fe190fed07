//! Black-box tests of the HTTP surface: GraphQL over HTTP (with the `graphql-http` audit run
//! against the live server), the playground, health, body limit, CORS, compression and request
//! ids, on SQLite and PostgreSQL.

mod support;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

both!(
    the_graphql_over_http_audit_passes_every_must,
    |app: support::TestApp| async move {
        let out = support::node("audit.mjs", vec![app.url("/graphql")]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "MUST audits failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .expect("a summary line");
        assert!(summary["audits"].as_u64().unwrap_or(0) > 40, "{summary}");
        assert_eq!(summary["mustFailures"], json!([]));
    }
);

both!(
    a_query_over_get_answers_in_the_negotiated_media_type,
    |app: support::TestApp| async move {
        let url = app.url("/graphql?query=%7Bthemes%7BtotalCount%7D%7D");
        let res = app
            .client
            .get(&url)
            .header(ACCEPT, GRAPHQL_RESPONSE)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(content_type(res.headers()).starts_with(GRAPHQL_RESPONSE));
        let body: Value = res.json().await.expect("json");
        assert!(body["data"]["themes"]["totalCount"].as_u64().unwrap_or(0) >= 4);

        let res = app
            .client
            .get(&url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(content_type(res.headers()).starts_with("application/json"));

        let res = app
            .client
            .get(&url)
            .header(ACCEPT, "text/html")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE);
    }
);

both!(
    a_mutation_over_get_is_refused_with_405,
    |app: support::TestApp| async move {
        let res = app
            .client
            .get(app.url("/graphql?query=mutation%7B__typename%7D"))
            .header(ACCEPT, GRAPHQL_RESPONSE)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            res.headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
            "POST"
        );
    }
);

both!(
    bodies_that_are_not_json_are_refused_with_415,
    |app: support::TestApp| async move {
        let res = app
            .client
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "text/plain")
            .body(r#"{"query":"{ __typename }"}"#)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
);

both!(
    invalid_queries_get_400_without_data_under_graphql_response_json,
    |app: support::TestApp| async move {
        for query in ["{ clusters { nosuchfield } }", "{ not graphql"] {
            let res = app
                .client
                .post(app.url("/graphql"))
                .header(ACCEPT, GRAPHQL_RESPONSE)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
            let body: Value = res.json().await.expect("json");
            assert!(body.get("data").is_none(), "{body}");
            assert!(body["errors"][0]["message"].is_string());
            assert_eq!(
                body["errors"][0]["extensions"]["code"],
                "GRAPHQL_VALIDATION_FAILED"
            );
        }
        // Under application/json the same answer comes with 200, as the spec asks.
        let res = app
            .client
            .post(app.url("/graphql"))
            .header(ACCEPT, "application/json")
            .json(&json!({ "query": "{ clusters { nosuchfield } }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        assert!(body["errors"][0]["message"].is_string());
    }
);

both!(batches_are_refused, |app: support::TestApp| async move {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .json(&json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.expect("json");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("batch"),
        "{body}"
    );
});

/// Sends a raw HTTP/1.1 POST to `/graphql` with `head` as extra headers, then as much of `body`
/// as the server reads, and returns the status line of the answer.
async fn raw_post(app: &support::TestApp, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nConnection: close\r\n{head}\r\n",
        app.addr
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write head");
    // The server may answer and hang up before the whole body is written; that is the point.
    for chunk in body.chunks(8 * 1024) {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

both!(
    bodies_over_the_limit_are_refused_with_413,
    |app: support::TestApp| async move {
        // The test server's limit is 64 KiB. A declared length over it is refused up front.
        let status = raw_post(&app, "Content-Length: 200000\r\n", b"").await;
        assert!(status.contains(" 413 "), "{status:?}");
        // A chunked body with no declared length is cut off once it passes the limit.
        let mut chunked = Vec::new();
        for _ in 0..20 {
            chunked.extend_from_slice(format!("{:x}\r\n", 8 * 1024).as_bytes());
            chunked.extend_from_slice(&[b' '; 8 * 1024]);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let status = raw_post(&app, "Transfer-Encoding: chunked\r\n", &chunked).await;
        assert!(status.contains(" 413 "), "{status:?}");
        // A body under the limit goes through.
        let body = json!({ "query": "{ __typename }" }).to_string();
        let status = raw_post(
            &app,
            &format!("Content-Length: {}\r\n", body.len()),
            body.as_bytes(),
        )
        .await;
        assert!(status.contains(" 200 "), "{status:?}");
    }
);

both!(
    playground_health_cors_compression_and_request_ids,
    |app: support::TestApp| async move {
        let res = app.client.get(app.url("/")).send().await.expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(content_type(res.headers()).starts_with("text/html"));
        assert!(res.text().await.unwrap_or_default().contains("graphiql"));

        let res = app
            .client
            .get(app.url("/health"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["status"], "ok", "{body}");

        let res = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", "https://app.example.org")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
            .await
            .expect("request");
        assert!(res.status().is_success());
        assert_eq!(
            res.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("*")
        );

        let res = app
            .client
            .post(app.url("/graphql"))
            .header("accept-encoding", "gzip")
            .json(&json!({ "query": "{ regions(first: 100) { nodes { code name } } }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("gzip")
        );
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(id.len(), 36, "a request id: {id:?}");

        let res = app
            .client
            .post(app.url("/graphql"))
            .header("x-request-id", "abc-123")
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            Some("abc-123")
        );
    }
);

both!(
    fields_are_answered_in_the_order_they_were_asked_for,
    |app: support::TestApp| async move {
        // `kind` and each cluster's `name` are at hand at once, while the fields before them wait
        // for statements; the answer still lists them as asked.
        let query = "{ clusters(first: 3) { totalCount nodes { memberships(first: 2) { totalCount } name } } kind: __typename }";
        for _ in 0..3 {
            let text = app
                .client
                .post(app.url("/graphql"))
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body");
            let at = |key: &str, from: usize| {
                text[from..]
                    .find(&format!("\"{key}\""))
                    .map(|i| i + from)
                    .unwrap_or_else(|| panic!("`{key}` in {text}"))
            };
            assert!(at("clusters", 0) < at("kind", 0), "{text}");
            let mut from = 0;
            for _ in 0..3 {
                let memberships = at("memberships", from);
                let name = at("name", from);
                assert!(memberships < name, "{text}");
                from = name + 1;
            }
        }
    }
);
