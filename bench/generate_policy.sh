#!/usr/bin/env bash
# generate_policy.sh N DIR: a policy of N country-specific measures over the default
# vocabulary and registry, written to DIR. Each rule keys on affiliation, affiliated
# state, a topic and the viewer's country, as real country-specific measures do
# ("state media of X on topic T are demoted for viewers in Y"). Deterministic in N.
set -euo pipefail
n=$1
dir=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$dir"
cp -r "$root/rules/registry" "$root/rules/vocabulary.yaml" "$root/rules/countries.yaml" "$dir/"
awk -v n="$n" 'BEGIN {
  split("state_controlled_media state_affiliated_media state_media_staff government_organization government_official head_of_state politician none", aff, " ")
  split("RU CN BY TR IR XQ FR US GB EG JP CA MM KE VE CU KP SY SA AE QA IN PK", st, " ")
  split("current_global_affairs war_conflict international_relations elections_civic domestic_politics social_issues travel_tourism culture_heritage sports", tp, " ")
  split("US GB DE FR ES IT PL NL SE BR MX IN ID JP KR AU CA ZA NG KE EG TR SA AE AR CO PH VN TH MY", vc, " ")
  split("demoted ineligible", lv, " ")
  print "rules:"
  for (i = 0; i < n; i++) {
    printf "  - id: M%05d\n    layer: platform\n", i
    print "    when:\n      all:"
    printf "        - account.affiliation: %s\n", aff[i % 8 + 1]
    printf "        - account.affiliated_state: %s\n", st[int(i / 8) % 23 + 1]
    printf "        - content.topics: { intersects: [%s] }\n", tp[int(i / 184) % 9 + 1]
    printf "        - viewer.country: %s\n", vc[int(i / 1656) % 30 + 1]
    printf "    then:\n      surfaces: { for_you: %s, search: demoted }\n", lv[i % 2 + 1]
  }
}' > "$dir/measures.yaml"
