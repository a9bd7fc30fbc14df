//! The web console at `/ui`: a few static files compiled into the binary, so it works offline
//! and needs no server or build step of its own. Everything it shows and does goes through the
//! public REST API from the browser, the same calls a script would make.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The console's files: name, media type, contents.
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../ui/app.css"),
    ),
];

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(|| async { file("index.html") }))
        .route(
            "/ui/{file}",
            get(|Path(name): Path<String>| async move { file(&name) }),
        )
}

fn file(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
                // Files change with the binary; a browser asks again rather than keep an old
                // console against a new worker.
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no console file {name}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, String, String) {
        let app: Router = router();
        let res = app
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("an answer");
        let status = res.status();
        let kind = res
            .headers()
            .get(header::CONTENT_TYPE)
            .or_else(|| res.headers().get(header::LOCATION))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_page_and_its_files_are_served_from_the_binary() {
        let (status, kind, body) = get("/ui/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(
            body.contains("app.js") && body.contains("app.css"),
            "{body}"
        );
        let (status, kind, _) = get("/ui/app.js").await;
        assert_eq!(
            (status, kind.starts_with("text/javascript")),
            (StatusCode::OK, true)
        );
        let (status, kind, _) = get("/ui/app.css").await;
        assert_eq!(
            (status, kind.starts_with("text/css")),
            (StatusCode::OK, true)
        );
    }

    #[tokio::test]
    async fn ui_without_a_slash_redirects_and_unknown_files_are_404() {
        let (status, location, _) = get("/ui").await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::PERMANENT_REDIRECT, "/ui/")
        );
        let (status, _, body) = get("/ui/../Cargo.toml").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, _, _) = get("/ui/secret.txt").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for (name, _, body) in FILES {
            for needle in ["http://", "https://", "//cdn", "@import"] {
                assert!(!body.contains(needle), "{name} refers to {needle}");
            }
        }
    }
}
