#!/bin/sh
# Pitstop's service accounts on the RabbitMQ cluster, run once by the rabbitmq-setup service.
#   pitstop: ingest and the proactive workers (the uplink quorum queue, the events exchange)
#   pitstop-fleet: the simulated demo fleet, which speaks for many cars at once
set -eu
ctl=${RABBITMQCTL:-rabbitmqctl}
$ctl await_startup --timeout 120
account() {  # name password
  $ctl add_user "$1" "$2" >/dev/null 2>&1 || $ctl change_password "$1" "$2" >/dev/null
  $ctl set_permissions -p / "$1" '.*' '.*' '.*' >/dev/null
}
account pitstop "${PITSTOP_AMQP_PASSWORD:?set PITSTOP_AMQP_PASSWORD}"
account pitstop-fleet "${PITSTOP_FLEET_PASSWORD:?set PITSTOP_FLEET_PASSWORD}"
$ctl set_topic_permissions -p / pitstop-fleet amq.topic '^pitstop\.v1\.' '^pitstop\.v1\.' >/dev/null
echo "RabbitMQ accounts ready; add cars with deploy/rabbitmq/add-car.sh"
