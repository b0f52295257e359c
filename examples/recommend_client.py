#!/usr/bin/env python3
"""A recommendation service's view of Statemark: which candidates may go where.

Sends one batch to POST /v1/decide/batch -- the viewer and the clock once, then one
item per candidate post -- and prints, for each candidate, the surfaces it may be
recommended on, where it is only demoted, and the labels to render. Python's standard
library only.

    python3 examples/recommend_client.py                      # a GB viewer, now
    python3 examples/recommend_client.py --viewer-country US --time 2024-07-01T12:00:00Z
    python3 examples/recommend_client.py --url http://127.0.0.1:8080

Exit status: 0 when the batch was answered (even if some items were invalid), 1 when
the service could not be reached or refused the batch.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

# Candidate posts the ranking stage produced: an id, the author's account id (looked
# up in the policy's registry), and what the post is about. A post may link to
# other outlets (`links` are URLs, `links_to` account ids) or reshare another post.
CANDIDATES = [
    {"id": "post-1", "account": "xinhua", "topics": ["current_global_affairs"]},
    {"id": "post-2", "account": "xinhua", "topics": ["travel_tourism"]},
    {"id": "post-3", "account": "rt_en", "topics": ["war_conflict"]},
    {"id": "post-4", "account": "bbc", "topics": ["current_global_affairs"]},
    {"id": "post-5", "account": "creator_gb", "topics": ["food", "lifestyle"]},
    {"id": "post-6", "account": "user_us", "topics": ["war_conflict"], "links_to": ["rt_en"]},
    {"id": "post-7", "account": "tr_wire", "topics": ["international_relations"]},
    {"id": "post-8", "account": "fr_president", "topics": ["elections_civic"]},
    # An account the registry does not hold, described inline; and a typo, which the
    # service rejects (with a suggestion) without failing the rest of the batch.
    {"id": "post-9", "account": "new_outlet", "topics": ["domestic_politics"],
     "inline": {"affiliation": "state_affiliated_media", "affiliated_state": "TR"}},
    {"id": "post-10", "account": "npr", "topics": ["electons_civic"]},
]


def build_batch(viewer_country, time):
    items = []
    for c in CANDIDATES:
        account = {"id": c["account"], **c.get("inline", {})}
        content = {"topics": c["topics"]}
        if "links_to" in c:
            content["links_to"] = c["links_to"]
        items.append({"request_id": c["id"], "account": account, "content": content})
    batch = {"viewer": {"country": viewer_country}, "items": items}
    if time:
        batch["time"] = time
    return batch


def decide(url, batch, timeout):
    request = urllib.request.Request(
        url.rstrip("/") + "/v1/decide/batch",
        data=json.dumps(batch).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        # The service answers every refusal as {"error": {"code", "message", "path"}}.
        body = e.read().decode("utf-8", "replace")
        try:
            error = json.loads(body)["error"]
            raise SystemExit(f"batch refused ({e.code} {error['code']}): {error['message']}"
                             + (f" at `{error['path']}`" if error.get("path") else ""))
        except (ValueError, KeyError):
            raise SystemExit(f"batch refused ({e.code}): {body}")
    except urllib.error.URLError as e:
        raise SystemExit(f"cannot reach {url}: {e.reason} (is `statemark serve` running?)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--viewer-country", default="GB")
    parser.add_argument("--time", help="RFC 3339 instant; default: the server's clock")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()

    answer = decide(args.url, build_batch(args.viewer_country, args.time), args.timeout)
    print(f"policy {answer['policy_version']}, viewer in {args.viewer_country}\n")
    for candidate, decision in zip(CANDIDATES, answer["decisions"]):
        name = f"{candidate['id']:8} {candidate['account']:13}"
        if "error" in decision:
            e = decision["error"]
            print(f"{name} not decided: {e['message']} ({e['path']})")
            continue
        levels = decision["surfaces"]
        eligible = [s for s, level in levels.items() if level == "eligible"]
        demoted = [s for s, level in levels.items() if level == "demoted"]
        print(f"{name} eligible on: {', '.join(eligible) or 'nothing'}")
        if demoted:
            print(f"{'':23}demoted on:  {', '.join(demoted)}")
        for label in decision["labels"]:
            print(f"{'':23}label:       {label['text']}")
        if decision["notice"]:
            print(f"{'':23}notice:      {decision['notice']}")
        if decision["rules"]:
            print(f"{'':23}rules:       {', '.join(decision['rules'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
