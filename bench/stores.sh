# Sourced by the bench scripts: one store container from the local test images (clusterregistry-test/etcd,
# clusterregistry-test/postgres), serving on 127.0.0.1:PORT. STORE_NETWORK=host (the default) runs it on the host's
# network, listening on 127.0.0.1 only; STORE_NETWORK=mapped publishes its port instead, and docker's userland proxy
# then relays every byte between server and store on the same cores (0.07 ms of CPU per etcd create, ~10 % of the
# create's cost, that a store reached over a network would not take from the server's host).
STORE_NETWORK=${STORE_NETWORK:-host}

# start_etcd NAME PORT: a single-member etcd (on the host network its peer port is PORT+1); returns once it is healthy.
start_etcd() {
  local name=$1 port=$2
  if [ "$STORE_NETWORK" = host ]; then
    docker run -d --rm --name "$name" --network host --entrypoint etcd clusterregistry-test/etcd --name=etcd0 \
      --data-dir=/tmp/etcd --listen-client-urls="http://127.0.0.1:$port" --advertise-client-urls="http://127.0.0.1:$port" \
      --listen-peer-urls="http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls="http://127.0.0.1:$((port + 1))" \
      --initial-cluster="etcd0=http://127.0.0.1:$((port + 1))" >/dev/null
  else
    docker run -d --rm --name "$name" -p "127.0.0.1:$port:2379" --entrypoint etcd clusterregistry-test/etcd \
      --name=etcd0 --data-dir=/tmp/etcd --listen-client-urls=http://0.0.0.0:2379 --advertise-client-urls=http://127.0.0.1:2379 >/dev/null
  fi
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
}

# start_postgres NAME PORT: PostgreSQL with fsync on (the image's test settings turn it off); returns once it accepts connections.
start_postgres() {
  local name=$1 port=$2
  if [ "$STORE_NETWORK" = host ]; then
    docker run -d --rm --name "$name" --network host clusterregistry-test/postgres -c fsync=on -c port="$port" \
      -c listen_addresses=127.0.0.1 >/dev/null
  else
    docker run -d --rm --name "$name" -p "127.0.0.1:$port:5432" clusterregistry-test/postgres -c fsync=on >/dev/null
  fi
  for _ in $(seq 1 100); do docker logs "$name" 2>&1 | grep -q 'ready to accept connections' && break; sleep 0.2; done
}

# store_cpu_file NAME: the container's cumulative CPU (ns), for the CPU each request cost the store.
store_cpu_file() { echo "/sys/fs/cgroup/cpuacct/docker/$(docker inspect -f '{{.Id}}' "$1")/cpuacct.usage"; }
