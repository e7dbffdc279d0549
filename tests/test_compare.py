"""`archlab compare --quick` end to end: real systems, real faults, the report on disk, nothing left running;
and the model API over every transport the README names. The other variants (PostgreSQL, an already
running Kafka broker) are in test_compare_variants.py, a file of their own so a second test worker
runs them beside this one."""

import pytest

from archlab.cli import main

from compare_helpers import processes_using, run_compare

# A quick comparison runs six systems one after the other: minutes, not the suite's default 300 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def comparison(faulty_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("compare-home")
    folder, data, result = run_compare(home, faulty_home)
    return home, folder, data, result


def test_last_line_is_the_report_folder_with_every_file(comparison):
    home, folder, _, _ = comparison
    assert folder.parent == home / "reports"
    assert (home / "reports" / "latest").resolve() == folder.resolve()
    for name in ("index.html", "results.json", "latency.png", "update_timelines.png", "coupling.png"):
        assert (folder / name).stat().st_size > 0


def test_progress_is_shown_on_stderr(comparison):
    stderr = comparison[3].stderr
    for arch in ("embedded", "api", "api-grpc", "streaming", "async", "client"):
        assert f"[compare] {arch}: done" in stderr


def test_where_the_time_went_is_printed_kept_and_shown(comparison):
    _, folder, data, result = comparison
    timings = data["timings"]
    assert timings["total_s"] == data["duration_s"] and timings["cpus"] and len(timings["load_average"]) == 3
    assert {"models: trained if missing", "floors"} <= {phase["phase"] for phase in timings["phases"]}
    for launch in timings["launches"]:  # each launch started, measured and stopped
        assert launch["start_s"] > 0 and launch["alive_s"] > 0 and launch["stop_s"] >= 0, launch
    by_purpose = {group["purpose"]: group for group in timings["by_purpose"]}
    assert sum(group["count"] for group in by_purpose.values()) == timings["all_launches"]["count"] \
        == len(timings["launches"])
    # one footing for both (one front, or one app that cannot replicate): the latency launch goes on to the
    # update; embedded's footings differ: a launch each
    both = "latency and throughput, then update, drill and faults"
    shared = {launch["system"] for launch in timings["launches"] if launch["purpose"] == both}
    assert shared == {"api", "api-grpc", "async", "client"} | ({"api-amqp"} & set(data["architectures"]))
    assert [launch["purpose"] for launch in timings["launches"] if launch["system"] == "embedded"] == [
        "latency and throughput", "naive update", "update, drill and faults"]
    assert "launches by purpose" in result.stderr and "[compare] total " in result.stderr
    assert 'id="timing-phases"' in (folder / "index.html").read_text()


def test_every_update_reaches_v2_and_counts_what_it_cost(comparison):
    architectures = comparison[2]["architectures"]
    assert set(architectures) >= {"embedded", "api", "api-grpc", "streaming", "async"}
    for name, arch in architectures.items():
        update = arch["update"]
        assert (update["from_version"], update["to_version"]) == ("v1", "v2"), name
        assert update["timeline"][-1]["version"] == "v2", name
        if not arch["capabilities"]["predicts_in_client"]:
            assert update["converged_s"] is not None, f"{name} never served v2 to every request"
    # the app in the browser: new visitors get v2 at once, a page open before that only shows the prompt
    client = architectures["client"]["update"]
    assert client["details"]["new_visitors_switch_s"] is not None and client["cost_s"] is None
    pages = {page["policy"]: page for page in client["details"]["open_pages"]["pages"]}
    assert pages["auto"]["model_version"] == "v2" and pages["prompt"]["model_version"] == "v1"
    cold_loads = client["details"]["open_pages"]["cold_load_to_first_price_ms"]
    assert len(cold_loads) == len(pages) and all(ms > 0 for ms in cold_loads)  # each page loaded, then priced
    # embedded both ways, on two replicas: each app carries its copy, so both ways restart every one
    rolling, naive = architectures["embedded"]["update"], architectures["embedded"]["naive_update"]
    assert rolling["strategy"].startswith("rolling") and naive["strategy"].startswith("stop-then-start")
    assert rolling["restarted"] == ["web", "web-2", "report"] and naive["restarted"] == ["web", "web-2"]
    assert rolling["restarts"] == {"web": 1, "web-2": 1, "report": 1}  # each once, watched by pid
    assert naive["failed"] > 0  # a stopped replica is downtime its users see; the balancer's retries hide it
    serving_footing = architectures["embedded"]["footing"].pop("latency and throughput")
    assert architectures["embedded"]["footing"] == {
        "naive update": {"front_instances": 2, "entry_points": 2},
        "update, drill and faults": {"front_instances": 2, "entry_points": 1}}
    assert {"front_instances": 1, "entry_points": 1}.items() <= serving_footing.items()
    # the others waited running beside it: what their idle work took from the cores, measured
    assert 0 <= serving_footing["beside_cpu_pct"] < 50
    assert architectures["api"]["update"]["restarted"] == ["model-service"]
    assert architectures["streaming"]["update"]["restarted"] == []
    assert architectures["streaming"]["update"]["failed"] == 0
    assert {p["worker"] for p in architectures["streaming"]["update"]["timeline"]} == {0, 1}  # both instances
    for arch in architectures.values():  # how it was updated, and the part no strategy avoids
        assert arch["update"]["strategy"] and arch["update"]["build_s"] > 0


def test_faults_record_what_users_really_got(comparison):
    architectures = comparison[2]["architectures"]
    api_down = architectures["api"]["faults"]["model-service"]
    assert api_down["failed"] == api_down["requests"] > 0 and set(api_down["statuses"]) == {"503"}
    assert "model-service" not in architectures["embedded"]["faults"]  # nothing to stop: it is in-process
    broker_down = architectures["streaming"]["faults"]["broker"]
    assert broker_down["failed"] == 0 and broker_down["user_sees"].count("200: predictions as usual") == 2
    assert set(architectures["async"]["faults"]["worker"]["statuses"]) == {"202"}
    assert set(architectures["async"]["faults"]["database"]["statuses"]) == {"503"}
    for name, arch in architectures.items():
        if "web" in arch["components"] and "web-2" not in arch["components"]:
            assert set(arch["faults"]["web"]["statuses"]) == {"no answer"}, name  # the only front is down
    # behind the load balancer, a replica down costs nobody anything; the balancer down, everybody
    embedded = architectures["embedded"]["faults"]
    assert embedded["web"]["failed"] == embedded["web-2"]["failed"] == 0
    assert set(embedded["balancer"]["statuses"]) == {"no answer"}
    # two instances: traffic to each; with one down its users get nothing, the other's users are served
    streaming = architectures["streaming"]["faults"]
    for down in ("web", "web-2"):
        assert set(streaming[down]["statuses"]) == {"no answer", "200"}, streaming[down]
        assert "no answer at all" in streaming[down]["user_sees"] and "200: predictions" in streaming[down]["user_sees"]


def test_coupling_facts_are_measured_from_the_running_apps(comparison):
    architectures = comparison[2]["architectures"]
    carries = {name: architectures[name]["app_carries_model"] for name in ("embedded", "api", "streaming", "async")}
    assert carries == {"embedded": True, "api": False, "streaming": True, "async": False}
    assert not architectures["api-grpc"]["app_carries_model"]
    # read after every step: the async front never loaded the model, not even for "score now"
    assert len(architectures["async"]["carries_model"]) >= 4


def test_each_run_worked_in_its_own_namespace_and_removed_it(comparison):
    home, _, data, _ = comparison
    namespaces = {name: arch["namespace"] for name, arch in data["architectures"].items()}
    assert namespaces["streaming"]["topic"].startswith("archlab.models.cmp-")
    assert "/runs/cmp-" in namespaces["async"]["database"]
    assert not any((home / "runs").iterdir())


def test_targets_are_reported_as_ratios_not_asserted(comparison):
    targets = comparison[2]["targets"]
    assert set(targets) >= {"embedded_over_framework_floor", "api_over_two_roundtrips", "api_scale_out_with_cost",
                            "embedded_throughput_c8", "streaming_propagation_s", "async_job_rows_per_s", "run_seconds"}
    assert all(t["measured"] is not None for t in targets.values())
    assert {"model_arithmetic", "http_constant", "flask_constant", "http_two_roundtrips", "kafka_roundtrip",
            "db_transaction", "grpc_constant", "http_then_grpc"} <= set(comparison[2]["floors"])


def test_throughput_counts_every_request_and_says_where_the_time_went(comparison):
    architectures = comparison[2]["architectures"]
    for name, arch in architectures.items():
        if arch["capabilities"]["answers_later"] or arch["capabilities"]["predicts_in_client"]:
            assert arch["throughput"] == [], name  # the workers' rows/s; or no server answers a prediction
            continue
        assert [run["concurrency"] for run in arch["throughput"]] == [1, 8, 32], name
        for run in arch["throughput"]:
            assert run["sent"] == run["answered"] + run["failed"] and run["answered"] > 0, name
    parts = {name: set(architectures[name]["throughput"][0]["server_timing_p50_ms"]) for name in ("embedded", "api")}
    assert parts == {"embedded": {"validation", "model", "total"}, "api": {"validation", "model", "hop", "total"}}
    floors = comparison[2]["throughput_floors"]
    assert set(floors) == {"http_constant", "flask_constant", "http_two_roundtrips"}
    job = architectures["async"]["figures"]
    assert job["job_rows_per_s"] > 0 and job["raw_batch_rows_per_s"] > 0  # the job beside its model's own rate


def test_scale_out_puts_every_instance_to_work(comparison):
    runs = comparison[2]["scale_out"]
    for arch in ("api", "async"):
        pair = [run for run in runs if run["architecture"] == arch]
        assert [run["instances"] for run in pair] == [1, 2], arch
        busy = [cpu for cpu in pair[1]["cpu_s_by_process"].values() if cpu > 0]
        assert len(busy) >= 2, pair[1]  # both model services, both workers did work
    api_two = next(run for run in runs if run["architecture"] == "api" and run["instances"] == 2)
    assert api_two["components"] == ["model-service", "model-service-2"] and api_two["throughput"]["failed"] == 0


def test_the_drill_counts_the_faulty_answers_users_really_got(comparison):
    architectures = comparison[2]["architectures"]
    for name in ("embedded", "api", "streaming"):
        drill = architectures[name]["drill"]
        tagged_v3 = sum(point["version"] == "v3" for point in drill["timeline"])
        assert drill["bad_answers"] == tagged_v3 > 0 and drill["detected_after_s"] is not None, name
        assert drill["timeline"][-1]["version"] == "v2", name
    assert architectures["streaming"]["drill"]["failed"] == 0  # the signed rollback is a publish
    # released to new visitors, then v2 released again: the page that only prompts keeps pricing with v3
    in_client = architectures["client"]["drill"]
    assert in_client["pages_on_bad_after_rollback"] == ["new visitor while v3 was out, prompt"]
    assert in_client["bad_answers"] > 0 and in_client["detected_after_s"] is None
    static_down = architectures["client"]["faults"]["static"]["user_sees"]
    assert "new visitor: no answer at all" in static_down and "an app opened before: a price" in static_down
    behind_the_gate = architectures["async"]["drill"]
    assert behind_the_gate["bad_answers"] == 0 and behind_the_gate["detected_after_s"] is None


def test_footprint_and_a_second_app_are_read_from_the_running_systems(comparison):
    architectures = comparison[2]["architectures"]
    embedded, api = architectures["embedded"], architectures["api"]
    assert [p["component"] for p in embedded["footprint"]["processes"]] == ["web"]
    assert embedded["footprint"]["app_environment_mib"] > api["footprint"]["app_environment_mib"]
    # on the update's footing (two embedded replicas, one API model service), then with the report app beside it
    assert (embedded["second_app"]["model_copies_alone"], embedded["second_app"]["model_copies"]) == (2, 3)
    assert (api["second_app"]["model_copies_alone"], api["second_app"]["model_copies"]) == (1, 1)
    assert embedded["second_app"]["restarted_by_update"] == {"front": True, "report": True}
    for name in ("api", "streaming", "async"):
        assert architectures[name]["second_app"]["apps_restarted"] == 0, name
    for name, arch in architectures.items():
        if arch["second_app"]:  # none where each app carries its own model in its bundle
            assert arch["second_app"]["versions_after_update"] == ["v2"], name
    assert architectures["client"]["footprint"]["client_bundle_bytes"] > 0
    assert architectures["client"]["footprint"]["model_copies"] == 0  # no server-side copy


def test_the_report_concludes_from_the_measured_results(comparison):
    verdicts = {v["name"]: v for v in comparison[2]["profiles"]}
    assert list(verdicts["every prediction reviewed by a person before use"]["fits"]) == ["async"]
    assert "async" in verdicts["a bad model must never reach a user"]["fits"]
    assert "embedded" in verdicts["a bad model must never reach a user"]["fails"]


def test_the_plan_is_calibrated_from_this_comparison_and_shown_in_its_report(comparison, capsys):
    """`archlab plan` on the report this module's one quick comparison wrote: every architecture it
    measured is planned or names the figure it lacks (a quick run scales no API variant)."""
    _, folder, data, _ = comparison
    assert main(["plan", "--results", str(folder)]) == 0
    out = capsys.readouterr().out
    for name in ("embedded", "api", "streaming", "async"):
        assert f"| {name} |" in out
    for name in data["architectures"]:
        assert (f"| {name} |" in out or f"Not planned: {name}: results.json has no" in out
                or f"Not planned: {name}: it predicts in each user's browser" in out)
    assert (folder / "plan_fanout.png").stat().st_size > 0 and 'id="plan"' in (folder / "index.html").read_text()


def test_nothing_is_left_running(comparison):
    assert processes_using(comparison[0]) == []


# -- the variants a user reaches for when they outgrow the defaults ---------------------------------

def test_the_model_api_is_measured_over_every_transport_against_its_own_floor(comparison, amqp_url):
    data = comparison[2]
    assert not [name for name in data["unavailable"] if name.startswith("api")]
    for name, floor in (("api", "http_two_roundtrips"), ("api-grpc", "http_then_grpc"), ("api-amqp", "http_then_amqp")):
        arch = data["architectures"][name]
        assert arch["latency"]["floor"] == floor and data["floors"][floor]["summary_ms"]["n"] > 0, name
        assert arch["update"]["failed"] == 0 and arch["update"]["restarted"], name
        assert set(arch["faults"][arch["capabilities"]["scalable_component"]]["statuses"]) == {"503"}, name
    arch = data["architectures"]["api-amqp"]
    assert arch["components"] == ["model-worker", "web", "report"]
    assert set(arch["faults"]["model-worker"]["statuses"]) == {"503"}
    assert not arch["faults"]["rabbitmq"]["breakable"]  # a shared broker: reported, never stopped
    assert arch["update"]["restarted"] == ["model-worker"]
    assert arch["namespace"]["queue"].startswith("archlab.predict.cmp-")
