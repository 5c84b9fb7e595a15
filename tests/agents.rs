//! `authsift agents`: golden output for each format, and CSV formula neutralisation.

mod common;

use common::stdout_of;

const EVENTS: &str = "testdata/shapes/events.json";

#[test]
fn legacy_agents_json_is_the_documented_contract() {
    assert_eq!(
        stdout_of(&["agents", "--format", "json", EVENTS]),
        r#"{
  "rows": [
    {
      "user_agent": "",
      "client": "Unknown",
      "events": 1,
      "successes": 0,
      "failures": 1,
      "users": 0,
      "ips": 1,
      "first_seen": "2024-05-01T13:05:00.123Z",
      "last_seen": "2024-05-01T13:05:00.123Z"
    },
    {
      "user_agent": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
      "client": "Outlook for Windows",
      "events": 1,
      "successes": 0,
      "failures": 1,
      "users": 1,
      "ips": 1,
      "first_seen": "2024-05-01T13:00:00.123Z",
      "last_seen": "2024-05-01T13:00:00.123Z"
    },
    {
      "user_agent": "python-requests/2.31.0",
      "client": "Scripted client",
      "events": 1,
      "successes": 0,
      "failures": 1,
      "users": 1,
      "ips": 1,
      "first_seen": "2024-05-01T13:00:07.500Z",
      "last_seen": "2024-05-01T13:00:07.500Z"
    }
  ]
}
"#
    );
}

#[test]
fn csv_neutralises_formulas_in_user_agents() {
    assert_eq!(
        stdout_of(&["agents", "--all", "--format", "csv", EVENTS]),
        "user_agent,client,events,successes,failures,users,ips,first_seen,last_seen\n\
         ,Unknown,1,0,1,0,1,2024-05-01T13:05:00.123Z,2024-05-01T13:05:00.123Z\n\
         \"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Mozilla/5.0\"\")\",Browser,1,1,0,1,1,2024-05-01T12:10:00.000Z,2024-05-01T12:10:00.000Z\n\
         Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro),Outlook for Windows,1,0,1,1,1,2024-05-01T13:00:00.123Z,2024-05-01T13:00:00.123Z\n\
         python-requests/2.31.0,Scripted client,1,0,1,1,1,2024-05-01T13:00:07.500Z,2024-05-01T13:00:07.500Z\n"
    );
}

#[test]
fn table_cuts_long_user_agents() {
    assert_eq!(
        stdout_of(&["agents", "--format", "table", EVENTS]),
        "USER AGENT                                                    CLIENT               EVENTS  SUCCESSES  FAILURES  USERS  IPS  FIRST SEEN                LAST SEEN\n\
         (none)                                                        Unknown                   1          0         1      0    1  2024-05-01T13:05:00.123Z  2024-05-01T13:05:00.123Z\n\
         Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 1…  Outlook for Windows       1          0         1      1    1  2024-05-01T13:00:00.123Z  2024-05-01T13:00:00.123Z\n\
         python-requests/2.31.0                                        Scripted client           1          0         1      1    1  2024-05-01T13:00:07.500Z  2024-05-01T13:00:07.500Z\n"
    );
}

#[test]
fn every_shape_gives_the_same_inventory() {
    let reference = stdout_of(&["agents", "--all", "--format", "ndjson", EVENTS]);
    for other in [
        "testdata/shapes/events.ndjson",
        "testdata/shapes/events-camel.csv",
        "testdata/shapes/events-admin.csv",
        "testdata/shapes/events.ndjson.gz",
    ] {
        assert_eq!(
            stdout_of(&["agents", "--all", "--format", "ndjson", other]),
            reference,
            "{other}"
        );
    }
}
