//! The committed `schema.graphql` is the schema the code serves, and every type and field in it
//! is described.

fn committed(file: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn committed_schema_matches_the_code() {
    let sdl = cluster_directory::graphql::build_schema(true).sdl();
    assert!(
        committed("schema.graphql").trim_end() == sdl.trim_end(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
    let plain = cluster_directory::graphql::build_schema(false).sdl();
    assert!(!plain.contains("_entities") && !plain.contains("_service"));
}

#[test]
fn committed_federation_sdl_matches_the_code() {
    let sdl = cluster_directory::graphql::build_schema(true)
        .federation_sdl()
        .expect("a subgraph SDL");
    assert!(
        committed("schema.federation.graphql").trim_end() == sdl.trim_end(),
        "schema.federation.graphql is stale: run `cargo run -- schema --federation > schema.federation.graphql` and commit it"
    );
    for key in [
        "type Cluster implements Node @key(fields: \"id\") @key(fields: \"slug\")",
        "type Region implements Node @key(fields: \"id\") @key(fields: \"code\")",
        "type Theme implements Node @key(fields: \"id\") @key(fields: \"slug\")",
        "type Organisation implements Node @key(fields: \"id\") @key(fields: \"slug\")",
        "type Collaboration implements Node @key(fields: \"id\") @key(fields: \"slug\")",
        "type Event implements Node @key(fields: \"id\") @key(fields: \"slug\")",
        "type PageInfo @shareable",
    ] {
        assert!(sdl.contains(key), "missing `{key}` in:\n{sdl}");
    }
}

#[test]
fn every_type_and_field_is_described() {
    let schema = cluster_directory::graphql::build_schema(true);
    let res = futures_lite_block(schema.execute(async_graphql::Request::new(
        "{ __schema { types { name description kind fields { name description args { name description } } inputFields { name description } enumValues { name description } } } }",
    )));
    let json = serde_json::to_value(&res.data).expect("json");
    let mut missing = Vec::new();
    for t in json["__schema"]["types"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or_default();
        // `_Any`, `_Entity`, `_Service`: the federation specification's own types.
        if name.starts_with('_') || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if t["description"].as_str().unwrap_or_default().is_empty() {
            missing.push(name.to_owned());
        }
        for key in ["fields", "inputFields", "enumValues"] {
            for f in t[key].as_array().into_iter().flatten() {
                if f["name"].as_str().unwrap_or_default().starts_with('_') {
                    continue;
                }
                if f["description"].as_str().unwrap_or_default().is_empty() {
                    missing.push(format!("{name}.{}", f["name"]));
                }
                for a in f["args"].as_array().into_iter().flatten() {
                    if a["description"].as_str().unwrap_or_default().is_empty() {
                        missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}
