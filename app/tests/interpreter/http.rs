//! HTTP request steps: the conversation waits for the result.

use super::*;

#[test]
fn http_request_waits_for_its_result() {
    let doc = flow(
        vec![
            node(
                "call",
                NodeKind::HttpRequest(HttpRequestSettings {
                    method: HttpMethod::Post,
                    url: "https://api.example/{{id}}".into(),
                    body: Some("{\"id\":\"{{id}}\"}".into()),
                    save_as: Some("reply".into()),
                }),
            ),
            end("ok", "Got {{reply}}"),
            end("err", "Failed"),
        ],
        vec![e("call", "ok", "ok"), e("call", "error", "err")],
    );
    let mut chat = Chat::new(doc.clone());
    chat.session.vars.insert("id".into(), "42".into());
    chat.send(Input::Start);
    let call = chat.last.iter().find_map(|e| match e {
        Effect::CallHttp {
            request_id,
            method,
            url,
            body,
        } => Some((request_id.clone(), *method, url.clone(), body.clone())),
        _ => None,
    });
    let (id, method, url, body) = call.unwrap();
    assert_eq!(method, HttpMethod::Post);
    assert_eq!(url, "https://api.example/42");
    assert_eq!(body.as_deref(), Some("{\"id\":\"42\"}"));
    assert_eq!(chat.session.status, Status::AwaitingHttp);
    chat.text("are you there?");
    assert!(chat.last.is_empty());
    chat.send(Input::HttpResult {
        request_id: "other".into(),
        status: 200,
        body: "x".into(),
    });
    assert!(
        chat.last.is_empty(),
        "a result for another request is ignored"
    );
    chat.send(Input::HttpResult {
        request_id: id,
        status: 200,
        body: "pong".into(),
    });
    assert_eq!(chat.said(), ["Got pong"]);

    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.send(Input::Timeout);
    assert_eq!(chat.said(), ["Failed"]);
}

/// A call's request id, if the effects ask for one.
fn call_id(effects: &[Effect]) -> Option<String> {
    effects.iter().find_map(|e| match e {
        Effect::CallHttp { request_id, .. } => Some(request_id.clone()),
        _ => None,
    })
}

/// A step whose every exit leads back to itself: the loop validation now
/// refuses, as a flow published before it did would still run.
fn calls_itself() -> FlowDoc {
    flow(
        vec![node(
            "call",
            NodeKind::HttpRequest(HttpRequestSettings {
                method: HttpMethod::Get,
                url: "https://api.example/ping".into(),
                body: None,
                save_as: None,
            }),
        )],
        vec![e("call", "ok", "call"), e("call", "error", "call")],
    )
}

#[test]
fn a_step_that_calls_itself_is_refused_by_validation() {
    let report = app::flow::validate(&calls_itself(), None);
    assert!(
        report.problems.iter().any(|p| p.code == "busy_loop"),
        "{:#?}",
        report.problems
    );
}

#[test]
fn calls_in_a_loop_stop_until_the_shopper_writes_and_ids_stay_short() {
    let mut chat = Chat::unchecked(calls_itself());
    let mut id = call_id(chat.send(Input::Start)).unwrap();
    let mut calls = 1;
    // Each failed result leads to the next call, whose event id names the
    // previous request: the ids must not grow.
    loop {
        let event = format!("http:{id}");
        let failed = Input::HttpResult {
            request_id: id.clone(),
            status: 500,
            body: String::new(),
        };
        match call_id(chat.send_as(failed, &event)) {
            Some(next) => {
                assert_eq!(next.len(), 32, "{next}");
                assert_ne!(next, id);
                id = next;
                calls += 1;
            }
            None => break,
        }
        assert!(calls <= MAX_HTTP_PER_TURN, "the loop never stopped");
    }
    assert_eq!(calls, MAX_HTTP_PER_TURN);
    assert_eq!(chat.session.status, Status::Waiting);
    // A replayed event asks for the same call.
    assert_eq!(
        request_id("conv1", "evt1", &NodeId("call".into())),
        request_id("conv1", "evt1", &NodeId("call".into()))
    );
    // The shopper starting again brings a new allowance.
    assert!(
        call_id(chat.send(Input::Start)).is_some(),
        "a shopper's message allows calls again"
    );
}

#[test]
fn shopper_text_is_escaped_for_the_url_and_the_json_body() {
    let doc = flow(
        vec![
            node(
                "call",
                NodeKind::HttpRequest(HttpRequestSettings {
                    method: HttpMethod::Post,
                    url: "https://api.example/orders/{{ref}}?lang=en".into(),
                    body: Some("{\"note\":\"{{ref}}\"}".into()),
                    save_as: None,
                }),
            ),
            end("done", "Done"),
        ],
        vec![e("call", "ok", "done"), e("call", "error", "done")],
    );
    let mut chat = Chat::new(doc);
    let typed = "1/../admin?x=1#y \"},\"admin\":true,\"é\":\"\n";
    chat.session.vars.insert("ref".into(), typed.into());
    let (url, body) = chat
        .send(Input::Start)
        .iter()
        .find_map(|e| match e {
            Effect::CallHttp { url, body, .. } => Some((url.clone(), body.clone().unwrap())),
            _ => None,
        })
        .unwrap();
    // The value stays one path segment; the query is the merchant's.
    assert_eq!(
        url,
        "https://api.example/orders/1%2F..%2Fadmin%3Fx%3D1%23y%20%22%7D%2C%22admin%22%3Atrue%2C%22%C3%A9%22%3A%22%0A?lang=en"
    );
    // The body is still one field holding exactly what was typed.
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed, serde_json::json!({"note": typed}));
    assert_eq!(percent_encode("Ana-1.2_~"), "Ana-1.2_~");
    assert_eq!(json_escape("a\"b\\c"), "a\\\"b\\\\c");
}
