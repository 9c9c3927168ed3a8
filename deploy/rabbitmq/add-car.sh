#!/bin/sh
# A car's account on the RabbitMQ cluster: its user name is its VIN, and it may publish only
# its own uplink topics and read only its own config and status (as mosquitto/acl's patterns).
#   add-car.sh VIN PASSWORD
# RABBITMQCTL names the command to run, e.g. "docker compose exec -T rabbitmq-1 rabbitmqctl".
set -eu
[ $# -eq 2 ] || { echo "usage: add-car.sh VIN PASSWORD" >&2; exit 2; }
vin=$1
password=$2
case $vin in
  *[!A-HJ-NPR-Z0-9]* | "") echo "add-car.sh: $vin is not a VIN (17 of A-Z, 0-9 without I, O, Q)" >&2; exit 2 ;;
esac
[ ${#vin} -eq 17 ] || { echo "add-car.sh: $vin is not 17 characters long" >&2; exit 2; }
ctl=${RABBITMQCTL:-rabbitmqctl}
$ctl add_user "$vin" "$password" >/dev/null 2>&1 || $ctl change_password "$vin" "$password" >/dev/null
# Resources: publish to amq.topic; the MQTT plugin's own queue for its config subscription.
$ctl set_permissions -p / "$vin" '^mqtt-subscription-.*' '^(amq\.topic|mqtt-subscription-.*)' \
  '^(amq\.topic|mqtt-subscription-.*)' >/dev/null
# Routing keys are MQTT topics with / as .; {username} is the VIN.
$ctl set_topic_permissions -p / "$vin" amq.topic \
  '^pitstop\.v1\.{username}\.(telemetry|dtc|status)$' \
  '^pitstop\.v1\.{username}\.(config|status)$' >/dev/null
echo "car $vin may publish pitstop/v1/$vin/{telemetry,dtc,status} and read its config"
