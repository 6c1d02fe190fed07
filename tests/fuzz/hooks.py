# Schemathesis hooks for the directory: strategies for its custom scalars, and the one check
# that matters for fuzzing, that no generated request makes the server fail (5xx).
import schemathesis
from hypothesis import strategies as st
from hypothesis_graphql import nodes

schemathesis.graphql.scalar("NaiveDate", st.dates().map(str).map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.datetimes().map(lambda d: d.isoformat() + "Z").map(nodes.String))
schemathesis.graphql.scalar("UUID", st.uuids().map(str).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.just("{}").map(nodes.String))


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}: {response.text[:300]}")
