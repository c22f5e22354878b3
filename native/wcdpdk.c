/*
 * wcdpdk: the C shim between the wasmcached host (koffi) and DPDK 22.11.
 * Interface and contracts: wcdpdk.h. Design: docs/dpdk.md.
 *
 * Zero-copy: each queue has its own mbuf pool whose data rooms are a
 * page-aligned block of the shared Wasm memory (rte_extmem_register +
 * rte_pktmbuf_pool_create_extbuf), so the driver writes frames where Wasm
 * reads them and sends frames from where Wasm wrote them. Wasm only ever sees
 * [offset, length] descriptors; an mbuf is found again from an offset by
 * arithmetic (data rooms are consecutive, WC_ELT bytes each) and a tag per
 * mbuf says whether Wasm may name it in a tx descriptor right now:
 *   TAG_FREE   not lent to Wasm;
 *   TAG_OFFER  offered as an empty tx buffer (stays lent until sent or flushed);
 *   gen (>=2)  received in the burst numbered gen (lent until the next burst).
 * A tx descriptor is sent only if it lies inside one data room whose mbuf is
 * lent (TAG_OFFER, or the current gen) and not already named in this burst.
 */
#define _GNU_SOURCE /* pthread_{get,set}affinity_np */
#include "wcdpdk.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

/* Bytes of one zero-copy data room: the headroom, then a FRAME_CAP buffer. */
#define WC_ELT (RTE_PKTMBUF_HEADROOM + WC_FRAME_CAP)
#define WC_POOL_MIN (4 * WC_BURST_MAX)
#define WC_POOL_MAX (1u << 20)
#define WC_RING_DEFAULT 1024
#define WC_CACHE_MAX 256

#define TAG_FREE 0u
#define TAG_OFFER 1u
#define GEN_FIRST 2u

struct wc_desc {
	uint32_t addr;
	uint32_t len;
};

struct wc_queue {
	uint16_t port;
	uint16_t queue;
	int zero_copy;
	int bound;
	struct rte_mempool *pool;
	uint32_t n; /* mbufs in the pool */

	/* Bound memory: raw address and size; descriptor arrays and copy buffers as offsets into it. */
	uint8_t *mem;
	uint64_t mem_size;
	struct wc_desc *rx_desc;
	struct wc_desc *tx_desc;
	uint32_t copy_bufs;

	/* Zero-copy: the data rooms, as an address and as an offset into the bound memory. */
	uint8_t *region;
	uint64_t region_bytes;
	uint32_t region_off;
	int extmem_registered;
	struct rte_device *dma_dev; /* the device the region is DMA-mapped for, if any */
	struct rte_mbuf **by_index; /* data room i -> its mbuf */
	uint32_t *tag;              /* per data room: TAG_FREE, TAG_OFFER or a gen */
	uint32_t gen;
	uint32_t rx_idx[WC_BURST_MAX]; /* rooms received in burst gen */
	uint32_t rx_n;
	uint32_t offer_idx[WC_BURST_MAX]; /* rooms offered as tx buffers, in descriptor order */
	uint32_t offer_n;

	/* Rx interrupt (WC_INTR_*): set when the port starts. */
	int intr_mode;
	int intr_fd;

	uint64_t stats[WC_QSTAT_COUNT];
};

struct wc_port {
	int configured;
	int started;
	uint16_t n_queues;
	uint16_t rx_ring;
	uint16_t tx_ring;
	struct rte_eth_conf conf; /* as configured: start reconfigures without rx interrupts if they fail */
	int qid[WC_MAX_QUEUES]; /* -1: not set up */
};

static int eal_ready;
/* rte_eal_init failed: EAL keeps state (the parsed core list, for one) that makes every retry fail. */
static int eal_failed;
static struct wc_port ports[RTE_MAX_ETHPORTS];
static struct wc_queue *queues[WC_MAX_QIDS];
static __thread char last_error[512];

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

/* "rte_errno text (errno N)" for messages. */
static const char *rte_reason(int err)
{
	static __thread char buf[160];
	if (err < 0)
		err = -err;
	snprintf(buf, sizeof(buf), "%s (errno %d)", rte_strerror(err), err);
	return buf;
}

WC_API const char *wc_last_error(void)
{
	return last_error;
}

WC_API const char *wc_code_name(int code)
{
	switch (code) {
	case WC_OK: return "WC_OK";
	case WC_E_ALREADY: return "WC_E_ALREADY";
	case WC_E_NOT_INIT: return "WC_E_NOT_INIT";
	case WC_E_REFUSED_ARG: return "WC_E_REFUSED_ARG";
	case WC_E_EAL_ARGS: return "WC_E_EAL_ARGS";
	case WC_E_EAL: return "WC_E_EAL";
	case WC_E_NO_PORTS: return "WC_E_NO_PORTS";
	case WC_E_PORT: return "WC_E_PORT";
	case WC_E_CONFIG: return "WC_E_CONFIG";
	case WC_E_QUEUE: return "WC_E_QUEUE";
	case WC_E_POOL: return "WC_E_POOL";
	case WC_E_EXTMEM: return "WC_E_EXTMEM";
	case WC_E_START: return "WC_E_START";
	case WC_E_ARG: return "WC_E_ARG";
	case WC_E_NOMEM: return "WC_E_NOMEM";
	case WC_E_STATE: return "WC_E_STATE";
	default: return code >= 0 ? "WC_OK" : "WC_E_UNKNOWN";
	}
}

/* ---- EAL ---------------------------------------------------------------- */

/* EAL's short options that take an argument (22.11: "a:b:c:s:d:hl:S:m:n:r:v"). */
static const char EAL_SHORT_WITH_ARG[] = "abcsdlSmnr";

/* True if name[0..len) is a non-empty prefix of `option` (getopt_long accepts unambiguous abbreviations). */
static int abbreviates(const char *name, size_t len, const char *option)
{
	return len > 0 && len <= strlen(option) && strncmp(name, option, len) == 0;
}

/* The first argument that would make rte_eal_init call exit(), or NULL. */
static const char *exiting_arg(int argc, const char *const *argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			if (abbreviates(name, len, "help"))
				return a;
			if (abbreviates(name, len, "log-level")) {
				const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
				if (value != NULL && strcmp(value, "help") == 0)
					return a;
			}
			continue;
		}
		/* A cluster of short options: -h exits; an option with an argument takes the rest. */
		for (const char *p = a + 1; *p; p++) {
			if (*p == 'h')
				return a;
			if (strchr(EAL_SHORT_WITH_ARG, *p))
				break;
		}
	}
	return NULL;
}

WC_API int wc_eal_init(int argc, const char *const *argv)
{
	if (eal_ready)
		return fail(WC_E_ALREADY, "EAL is already initialised (once per process)");
	if (eal_failed)
		return fail(WC_E_ALREADY, "EAL failed to initialise earlier in this process and cannot be retried: restart the process");
	if (argc < 0 || (argc > 0 && argv == NULL))
		return fail(WC_E_ARG, "EAL arguments: bad argument vector");
	for (int i = 0; i < argc; i++)
		if (argv[i] == NULL)
			return fail(WC_E_ARG, "EAL arguments: argument %d is NULL", i);
	const char *bad = exiting_arg(argc, argv);
	if (bad != NULL)
		return fail(WC_E_REFUSED_ARG, "EAL argument \"%s\" would make DPDK print and end the process: refused", bad);

	/* EAL permutes argv and keeps pointers into it: give it a copy that lives as long as the process. */
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	if (args == NULL)
		return fail(WC_E_NOMEM, "EAL arguments: out of memory");
	args[0] = strdup("wasmcached");
	for (int i = 0; i < argc; i++)
		args[i + 1] = strdup(argv[i]);
	for (int i = 0; i <= argc; i++)
		if (args[i] == NULL)
			return fail(WC_E_NOMEM, "EAL arguments: out of memory");

	cpu_set_t saved;
	int have_saved = pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	int parsed = rte_eal_init(argc + 1, args);
	int err = rte_errno;
	if (have_saved)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);

	if (parsed < 0) {
		eal_failed = 1;
		switch (err) {
		case EALREADY:
			return fail(WC_E_ALREADY, "rte_eal_init: EAL was initialised already in this process");
		case EINVAL:
			return fail(WC_E_EAL_ARGS, "rte_eal_init rejected the EAL arguments (its log above says which): %s",
				    rte_reason(err));
		case ENODEV:
			return fail(WC_E_EAL_ARGS, "rte_eal_init: a device argument (--vdev, -a, -b) is malformed or its bus failed: %s",
				    rte_reason(err));
		default:
			return fail(WC_E_EAL, "rte_eal_init failed: %s", rte_reason(err));
		}
	}
	eal_ready = 1;
	for (int p = 0; p < RTE_MAX_ETHPORTS; p++)
		for (int q = 0; q < WC_MAX_QUEUES; q++)
			ports[p].qid[q] = -1;
	if (parsed != argc) {
		/* getopt moved what it did not take to the end; args[parsed + 1] is the first of those. */
		return fail(WC_E_EAL_ARGS, "EAL started, but did not take \"%s\" (positional arguments and \"--\" are not accepted)",
			    args[parsed + 1]);
	}
	return rte_eth_dev_count_avail();
}

WC_API int wc_eal_ready(void)
{
	return eal_ready;
}

WC_API int wc_eal_cleanup(void)
{
	if (!eal_ready)
		return fail(WC_E_NOT_INIT, "EAL is not initialised");
	int r = rte_eal_cleanup();
	if (r < 0)
		return fail(WC_E_EAL, "rte_eal_cleanup: %s", rte_reason(rte_errno));
	return WC_OK;
}

WC_API int wc_thread_register(void)
{
	if (!eal_ready)
		return fail(WC_E_NOT_INIT, "EAL is not initialised");
	if (rte_lcore_id() != LCORE_ID_ANY)
		return (int)rte_lcore_id();
	if (rte_thread_register() < 0)
		return fail(WC_E_EAL, "rte_thread_register: %s", rte_reason(rte_errno));
	return (int)rte_lcore_id();
}

WC_API int wc_lcore_cpus(uint32_t *out, uint32_t n)
{
	if (!eal_ready)
		return fail(WC_E_NOT_INIT, "EAL is not initialised");
	uint32_t k = 0;
	unsigned lc;
	/* The lcores -l/--lcores enabled, main first: the CPUs the operator gave the data plane. */
	RTE_LCORE_FOREACH(lc) {
		if (k < n)
			out[k] = rte_lcore_to_cpu_id((int)lc) < 0 ? UINT32_MAX : (uint32_t)rte_lcore_to_cpu_id((int)lc);
		k++;
	}
	return (int)k;
}

WC_API int wc_thread_pin(uint32_t cpu)
{
	if (cpu >= CPU_SETSIZE)
		return fail(WC_E_ARG, "CPU %u is past CPU_SETSIZE", cpu);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (r != 0)
		return fail(WC_E_ARG, "pthread_setaffinity_np(CPU %u): %s", cpu, strerror(r));
	return WC_OK;
}

WC_API void wc_thread_unregister(void)
{
	if (eal_ready && rte_lcore_id() != LCORE_ID_ANY && rte_lcore_id() != rte_get_main_lcore())
		rte_thread_unregister();
}

/* ---- ports --------------------------------------------------------------- */

static int check_port(uint16_t port)
{
	if (!eal_ready)
		return fail(WC_E_NOT_INIT, "EAL is not initialised");
	if (!rte_eth_dev_is_valid_port(port))
		return fail(WC_E_PORT, "port %u does not exist (%u available)", port, rte_eth_dev_count_avail());
	return WC_OK;
}

/*
 * An output array of exactly `need` entries: the caller's list of field
 * names mirrors this header, and a different length means they drifted apart.
 */
static int check_out(const void *out, uint32_t n, uint32_t need, const char *fn)
{
	if (out == NULL || n != need)
		return fail(WC_E_ARG, "%s: the output array has %u entries, this shim fills %u (binding out of date?)", fn, n,
			    need);
	return WC_OK;
}

static int check_port_out(uint16_t port, const void *out, uint32_t n, uint32_t need, const char *fn)
{
	int r = check_port(port);
	return r < 0 ? r : check_out(out, n, need, fn);
}

WC_API int wc_port_count(void)
{
	if (!eal_ready)
		return fail(WC_E_NOT_INIT, "EAL is not initialised");
	int n = rte_eth_dev_count_avail();
	if (n == 0)
		return fail(WC_E_NO_PORTS,
			    "no DPDK port: no NIC bound to a DPDK driver and no --vdev that probed (a vdev that fails to probe is only logged by EAL)");
	return n;
}

WC_API int wc_port_info(uint16_t port, uint32_t *out, uint32_t n)
{
	int r = check_port_out(port, out, n, WC_PINFO_COUNT, __func__);
	if (r < 0)
		return r;
	struct rte_eth_dev_info info;
	if ((r = rte_eth_dev_info_get(port, &info)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_dev_info_get: %s", port, rte_reason(r));
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(port, &link);
	uint16_t mtu = 0;
	rte_eth_dev_get_mtu(port, &mtu);
	memset(out, 0, n * sizeof(uint32_t));
	out[WC_PINFO_MAX_RX_QUEUES] = info.max_rx_queues;
	out[WC_PINFO_MAX_TX_QUEUES] = info.max_tx_queues;
	out[WC_PINFO_RSS_OFFLOADS_LO] = (uint32_t)info.flow_type_rss_offloads;
	out[WC_PINFO_RSS_OFFLOADS_HI] = (uint32_t)(info.flow_type_rss_offloads >> 32);
	out[WC_PINFO_RETA_SIZE] = info.reta_size;
	out[WC_PINFO_HASH_KEY_SIZE] = info.hash_key_size;
	out[WC_PINFO_MTU] = mtu;
	out[WC_PINFO_MIN_MTU] = info.min_mtu;
	out[WC_PINFO_MAX_MTU] = info.max_mtu;
	out[WC_PINFO_LINK_UP] = link.link_status == RTE_ETH_LINK_UP;
	out[WC_PINFO_LINK_SPEED] = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	out[WC_PINFO_SOCKET] = (uint32_t)rte_eth_dev_socket_id(port);
	out[WC_PINFO_RX_DESC_MAX] = info.rx_desc_lim.nb_max;
	out[WC_PINFO_TX_DESC_MAX] = info.tx_desc_lim.nb_max;
	return WC_OK;
}

WC_API int wc_port_mac(uint16_t port, uint8_t *out6)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	struct rte_ether_addr mac;
	if ((r = rte_eth_macaddr_get(port, &mac)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_macaddr_get: %s", port, rte_reason(r));
	memcpy(out6, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	return WC_OK;
}

WC_API int wc_port_name(uint16_t port, char *out, uint32_t len)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	char name[RTE_ETH_NAME_MAX_LEN];
	if ((r = rte_eth_dev_get_name_by_port(port, name)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_dev_get_name_by_port: %s", port, rte_reason(r));
	if (len == 0)
		return fail(WC_E_ARG, "wc_port_name: empty output buffer");
	snprintf(out, len, "%s", name);
	return (int)strlen(out);
}

WC_API const char *wc_port_driver(uint16_t port)
{
	struct rte_eth_dev_info info;
	if (check_port(port) < 0 || rte_eth_dev_info_get(port, &info) != 0 || info.driver_name == NULL)
		return "";
	return info.driver_name;
}

WC_API int wc_port_configure(uint16_t port, uint16_t n_queues, uint16_t rx_ring, uint16_t tx_ring)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	struct wc_port *p = &ports[port];
	if (p->started)
		return fail(WC_E_STATE, "port %u: configure after start (stop and close it first)", port);
	for (int q = 0; q < WC_MAX_QUEUES; q++)
		if (p->qid[q] >= 0)
			return fail(WC_E_STATE, "port %u: configure after queue setup (close the port first)", port);
	struct rte_eth_dev_info info;
	if ((r = rte_eth_dev_info_get(port, &info)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_dev_info_get: %s", port, rte_reason(r));
	if (n_queues == 0)
		return fail(WC_E_ARG, "port %u: 0 queues asked", port);
	if (n_queues > WC_MAX_QUEUES)
		return fail(WC_E_CONFIG, "port %u: %u queues asked, the shim handles at most %d per port", port, n_queues,
			    WC_MAX_QUEUES);
	if (n_queues > info.max_rx_queues || n_queues > info.max_tx_queues)
		return fail(WC_E_CONFIG, "port %u (%s): %u queues asked, the driver has at most %u rx and %u tx queues", port,
			    info.driver_name, n_queues, info.max_rx_queues, info.max_tx_queues);

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	int rss = 0;
	if (n_queues > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (hf != 0) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
			rss = 1;
		}
	}
	/* Rx queue interrupts let an idle worker sleep until a frame comes; a PMD may refuse them. */
	conf.intr_conf.rxq = 1;
	if ((r = rte_eth_dev_configure(port, n_queues, n_queues, &conf)) != 0) {
		conf.intr_conf.rxq = 0;
		r = rte_eth_dev_configure(port, n_queues, n_queues, &conf);
	}
	if (r != 0)
		return fail(WC_E_CONFIG, "port %u: rte_eth_dev_configure(%u queues%s): %s", port, n_queues, rss ? ", RSS" : "",
			    rte_reason(r));
	uint16_t nrx = rx_ring ? rx_ring : WC_RING_DEFAULT;
	uint16_t ntx = tx_ring ? tx_ring : WC_RING_DEFAULT;
	if ((r = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx)) != 0)
		return fail(WC_E_CONFIG, "port %u: rte_eth_dev_adjust_nb_rx_tx_desc: %s", port, rte_reason(r));
	p->configured = 1;
	p->conf = conf;
	p->n_queues = n_queues;
	p->rx_ring = nrx;
	p->tx_ring = ntx;
	return rss;
}

/* ---- pools and queues ------------------------------------------------------ */

WC_API uint64_t wc_pool_bytes(uint32_t n_mbufs)
{
	if (n_mbufs < WC_POOL_MIN || n_mbufs > WC_POOL_MAX)
		return 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t bytes = (uint64_t)n_mbufs * WC_ELT;
	return (bytes + page - 1) / page * page;
}

WC_API uint32_t wc_tx_room(void)
{
	return WC_FRAME_CAP;
}

static void index_mbuf(struct rte_mempool *mp, void *arg, void *obj, unsigned int i)
{
	(void)mp;
	(void)i;
	struct wc_queue *q = arg;
	struct rte_mbuf *m = obj;
	uint64_t rel = (uint64_t)((uint8_t *)m->buf_addr - q->region);
	if (rel % WC_ELT == 0 && rel / WC_ELT < q->n)
		q->by_index[rel / WC_ELT] = m;
}

/* Undoes rte_dev_dma_map: while the port's device is still there (before rte_eth_dev_close). */
static void queue_unmap(struct wc_queue *q)
{
	if (q->dma_dev != NULL)
		rte_dev_dma_unmap(q->dma_dev, q->region, (uint64_t)(uintptr_t)q->region, q->region_bytes);
	q->dma_dev = NULL;
}

static void queue_free(struct wc_queue *q)
{
	queue_unmap(q);
	if (q->pool != NULL)
		rte_mempool_free(q->pool);
	if (q->extmem_registered)
		rte_extmem_unregister(q->region, q->region_bytes);
	free(q->by_index);
	free(q->tag);
	free(q);
}

/* Registers the zero-copy region and makes the pool over it. */
static int zero_copy_pool(struct wc_queue *q, const char *name, unsigned cache, int socket, struct rte_eth_dev_info *info)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (rte_extmem_register(q->region, q->region_bytes, NULL, 0, page) != 0)
		return fail(WC_E_EXTMEM, "rte_extmem_register(%p, %llu bytes): %s", (void *)q->region,
			    (unsigned long long)q->region_bytes, rte_reason(rte_errno));
	q->extmem_registered = 1;
	/*
	 * A device that does DMA (anything not on the vdev bus) must be able to
	 * reach the region: IOVA as VA (vfio with an IOMMU) and a DMA mapping.
	 * Wasm memory is ordinary memory, so IOVA as PA has no addresses to give.
	 */
	const struct rte_bus *bus = rte_dev_bus(info->device);
	int dma = bus == NULL || strcmp(rte_bus_name(bus), "vdev") != 0;
	rte_iova_t iova = rte_eal_iova_mode() == RTE_IOVA_VA ? (rte_iova_t)(uintptr_t)q->region : RTE_BAD_IOVA;
	if (dma && iova == RTE_BAD_IOVA)
		return fail(WC_E_EXTMEM, "zero-copy with a DMA device needs IOVA as VA (vfio-pci with an IOMMU; "
					 "--iova-mode=va); use --no-zero-copy otherwise");
	if (iova != RTE_BAD_IOVA) {
		if (rte_dev_dma_map(info->device, q->region, iova, q->region_bytes) == 0)
			q->dma_dev = info->device;
		else if (dma || rte_errno != ENOTSUP)
			return fail(WC_E_EXTMEM, "rte_dev_dma_map of the zero-copy region: %s", rte_reason(rte_errno));
	}
	struct rte_pktmbuf_extmem ext = {
		.buf_ptr = q->region,
		.buf_iova = iova,
		.buf_len = q->region_bytes,
		.elt_size = WC_ELT,
	};
	q->pool = rte_pktmbuf_pool_create_extbuf(name, q->n, cache, 0, WC_ELT, socket, &ext, 1);
	if (q->pool == NULL)
		return fail(WC_E_POOL, "rte_pktmbuf_pool_create_extbuf(%u mbufs): %s", q->n, rte_reason(rte_errno));
	q->by_index = calloc(q->n, sizeof(*q->by_index));
	q->tag = calloc(q->n, sizeof(*q->tag));
	if (q->by_index == NULL || q->tag == NULL)
		return fail(WC_E_NOMEM, "zero-copy index of %u mbufs: out of memory", q->n);
	rte_mempool_obj_iter(q->pool, index_mbuf, q);
	for (uint32_t i = 0; i < q->n; i++)
		if (q->by_index[i] == NULL)
			return fail(WC_E_POOL, "zero-copy pool: data room %u has no mbuf", i);
	q->gen = GEN_FIRST;
	return WC_OK;
}

WC_API int wc_queue_setup(uint16_t port, uint16_t queue, uintptr_t pool_addr, uint64_t pool_bytes, uint32_t n_mbufs,
			  uint32_t flags)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	struct wc_port *p = &ports[port];
	if (!p->configured)
		return fail(WC_E_STATE, "port %u: queue setup before configure", port);
	if (p->started)
		return fail(WC_E_STATE, "port %u: queue setup after start", port);
	if (queue >= p->n_queues)
		return fail(WC_E_QUEUE, "port %u: queue %u does not exist (%u configured)", port, queue, p->n_queues);
	if (p->qid[queue] >= 0)
		return fail(WC_E_STATE, "port %u: queue %u is set up already", port, queue);
	if (n_mbufs < WC_POOL_MIN || n_mbufs > WC_POOL_MAX)
		return fail(WC_E_ARG, "port %u queue %u: %u mbufs (%u..%u)", port, queue, n_mbufs, WC_POOL_MIN, WC_POOL_MAX);
	if (n_mbufs < (uint32_t)p->rx_ring + p->tx_ring + 2 * WC_BURST_MAX)
		return fail(WC_E_ARG, "port %u queue %u: %u mbufs cannot fill an rx ring of %u, a tx ring of %u and two bursts",
			    port, queue, n_mbufs, p->rx_ring, p->tx_ring);
	int zero_copy = (flags & WC_Q_ZERO_COPY) != 0;
	uint64_t need = wc_pool_bytes(n_mbufs);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (zero_copy && (pool_addr == 0 || pool_addr % page != 0))
		return fail(WC_E_ARG, "port %u queue %u: zero-copy pool address %#lx is not page-aligned (%zu)", port, queue,
			    (unsigned long)pool_addr, page);
	if (zero_copy && pool_bytes < need)
		return fail(WC_E_ARG, "port %u queue %u: zero-copy pool of %u mbufs needs %llu bytes, %llu given", port, queue,
			    n_mbufs, (unsigned long long)need, (unsigned long long)pool_bytes);

	int qid = -1;
	for (int i = 0; i < WC_MAX_QIDS && qid < 0; i++)
		if (queues[i] == NULL)
			qid = i;
	if (qid < 0)
		return fail(WC_E_QUEUE, "more than %d queues in the process", WC_MAX_QIDS);
	struct wc_queue *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return fail(WC_E_NOMEM, "queue state: out of memory");
	q->port = port;
	q->queue = queue;
	q->zero_copy = zero_copy;
	q->n = n_mbufs;
	q->region = (uint8_t *)pool_addr;
	q->region_bytes = need;

	struct rte_eth_dev_info info;
	if ((r = rte_eth_dev_info_get(port, &info)) != 0) {
		free(q);
		return fail(WC_E_PORT, "port %u: rte_eth_dev_info_get: %s", port, rte_reason(r));
	}
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	unsigned cache = n_mbufs / 8 < WC_CACHE_MAX ? n_mbufs / 8 : WC_CACHE_MAX;
	char name[RTE_MEMPOOL_NAMESIZE];
	snprintf(name, sizeof(name), "wc_p%u_q%u", port, queue);
	if (zero_copy) {
		r = zero_copy_pool(q, name, cache, socket, &info);
	} else {
		q->pool = rte_pktmbuf_pool_create(name, n_mbufs, cache, 0, RTE_PKTMBUF_HEADROOM + WC_FRAME_CAP, socket);
		r = q->pool ? WC_OK : fail(WC_E_POOL, "rte_pktmbuf_pool_create(%u mbufs): %s", n_mbufs, rte_reason(rte_errno));
	}
	if (r == WC_OK && (r = rte_eth_rx_queue_setup(port, queue, p->rx_ring, socket, NULL, q->pool)) != 0)
		r = fail(WC_E_QUEUE, "port %u: rte_eth_rx_queue_setup(%u, %u descriptors): %s", port, queue, p->rx_ring,
			 rte_reason(r));
	if (r == WC_OK && (r = rte_eth_tx_queue_setup(port, queue, p->tx_ring, socket, NULL)) != 0)
		r = fail(WC_E_QUEUE, "port %u: rte_eth_tx_queue_setup(%u, %u descriptors): %s", port, queue, p->tx_ring,
			 rte_reason(r));
	if (r != WC_OK) {
		queue_free(q);
		return r;
	}
	q->stats[WC_QSTAT_POOL_SIZE] = n_mbufs;
	queues[qid] = q;
	p->qid[queue] = qid;
	return qid;
}

/* Configures the port again (p->conf, interrupts off), sets its queues up again on their pools, starts it. */
static int restart_without_intr(uint16_t port, struct wc_port *p)
{
	int r = rte_eth_dev_configure(port, p->n_queues, p->n_queues, &p->conf);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	for (int q = 0; r == 0 && q < p->n_queues; q++) {
		r = rte_eth_rx_queue_setup(port, q, p->rx_ring, socket, NULL, queues[p->qid[q]]->pool);
		if (r == 0)
			r = rte_eth_tx_queue_setup(port, q, p->tx_ring, socket, NULL);
	}
	return r == 0 ? rte_eth_dev_start(port) : r;
}

/* True if fd is an eventfd (its counter is 8 bytes to read); a device fd's readiness is its queue's own state. */
static int is_eventfd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/*
 * Decides how the queue's worker sleeps (WC_INTR_*). Enabling and disabling
 * once here finds PMDs that have an fd but cannot arm it: net_tap's fd is
 * the tun queue itself (level: nothing to arm); an fd that is neither an
 * eventfd nor level-triggered (uio) is left alone, we would not know how to
 * empty it.
 */
static void queue_intr_probe(struct wc_queue *q, int rxq_intr)
{
	q->intr_mode = WC_INTR_NONE;
	q->intr_fd = -1;
	if (!rxq_intr)
		return;
	/* Without an interrupt handle ethdev logs an error per call (net_null, net_memif): expected here. */
	int level = rte_log_get_level(rte_eth_dev_logtype);
	rte_log_set_level(rte_eth_dev_logtype, RTE_LOG_CRIT);
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(q->port, q->queue);
	rte_log_set_level(rte_eth_dev_logtype, level < 0 ? RTE_LOG_NOTICE : (uint32_t)level);
	if (fd < 0)
		return;
	int eventfd = is_eventfd(fd);
	int r = rte_eth_dev_rx_intr_enable(q->port, q->queue);
	if (r == 0) {
		rte_eth_dev_rx_intr_disable(q->port, q->queue);
		if (!eventfd)
			return;
		q->intr_mode = WC_INTR_ARMED;
	} else if (r == -ENOTSUP && !eventfd) {
		q->intr_mode = WC_INTR_LEVEL;
	} else {
		return;
	}
	q->intr_fd = fd;
}

WC_API int wc_port_start(uint16_t port)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	struct wc_port *p = &ports[port];
	if (!p->configured)
		return fail(WC_E_STATE, "port %u: start before configure", port);
	for (int q = 0; q < p->n_queues; q++)
		if (p->qid[q] < 0)
			return fail(WC_E_STATE, "port %u: start before queue %d is set up", port, q);
	if (p->started)
		return WC_OK;
	if ((r = rte_eth_dev_start(port)) != 0 && p->conf.intr_conf.rxq) {
		/* Some PMDs accept intr_conf.rxq, then cannot set the vectors up: serve without. */
		p->conf.intr_conf.rxq = 0;
		r = restart_without_intr(port, p);
	}
	if (r != 0)
		return fail(WC_E_START, "port %u: rte_eth_dev_start: %s", port, rte_reason(r));
	for (int q = 0; q < p->n_queues; q++)
		queue_intr_probe(queues[p->qid[q]], p->conf.intr_conf.rxq);
	__atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
	return WC_OK;
}

WC_API int wc_port_promiscuous(uint16_t port, int on)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	r = on ? rte_eth_promiscuous_enable(port) : rte_eth_promiscuous_disable(port);
	if (r != 0)
		return fail(WC_E_PORT, "port %u: promiscuous %s: %s", port, on ? "on" : "off", rte_reason(r));
	return WC_OK;
}

WC_API int wc_port_stats(uint16_t port, double *out, uint32_t n)
{
	int r = check_port_out(port, out, n, WC_PSTAT_COUNT, __func__);
	if (r < 0)
		return r;
	struct rte_eth_stats s;
	if ((r = rte_eth_stats_get(port, &s)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_stats_get: %s", port, rte_reason(r));
	out[WC_PSTAT_IPACKETS] = (double)s.ipackets;
	out[WC_PSTAT_OPACKETS] = (double)s.opackets;
	out[WC_PSTAT_IBYTES] = (double)s.ibytes;
	out[WC_PSTAT_OBYTES] = (double)s.obytes;
	out[WC_PSTAT_IMISSED] = (double)s.imissed;
	out[WC_PSTAT_IERRORS] = (double)s.ierrors;
	out[WC_PSTAT_OERRORS] = (double)s.oerrors;
	out[WC_PSTAT_RX_NOMBUF] = (double)s.rx_nombuf;
	return WC_OK;
}

WC_API int wc_port_stop(uint16_t port)
{
	int r = check_port(port);
	if (r < 0)
		return r;
	struct wc_port *p = &ports[port];
	if (!p->started)
		return WC_OK;
	__atomic_store_n(&p->started, 0, __ATOMIC_RELEASE);
	if ((r = rte_eth_dev_stop(port)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_dev_stop: %s", port, rte_reason(r));
	return WC_OK;
}

WC_API int wc_port_close(uint16_t port)
{
	int r = wc_port_stop(port);
	if (r < 0)
		return r;
	struct wc_port *p = &ports[port];
	for (int q = 0; q < WC_MAX_QUEUES; q++) {
		if (p->qid[q] >= 0) {
			wc_queue_flush(p->qid[q]);
			queue_unmap(queues[p->qid[q]]);
		}
	}
	/* Closing releases the mbufs in the rings: before the pools go. */
	if ((r = rte_eth_dev_close(port)) != 0)
		return fail(WC_E_PORT, "port %u: rte_eth_dev_close: %s", port, rte_reason(r));
	for (int q = 0; q < WC_MAX_QUEUES; q++) {
		int qid = p->qid[q];
		if (qid < 0)
			continue;
		queue_free(queues[qid]);
		queues[qid] = NULL;
		p->qid[q] = -1;
	}
	p->configured = 0;
	p->n_queues = 0;
	return WC_OK;
}

/* ---- bind, burst, flush ------------------------------------------------------ */

static struct wc_queue *get_queue(int qid)
{
	if (qid < 0 || qid >= WC_MAX_QIDS || queues[qid] == NULL) {
		fail(WC_E_QUEUE, "queue id %d does not exist", qid);
		return NULL;
	}
	return queues[qid];
}

static inline uint32_t mem_off(const struct wc_queue *q, const void *p)
{
	return (uint32_t)((const uint8_t *)p - q->mem);
}

/*
 * Zero-copy: frees the received mbufs Wasm did not send, and with `offers`
 * the unsent tx offers too; then starts a new gen, so nothing received
 * before can be named again.
 */
static void release_lent(struct wc_queue *q, int offers)
{
	struct rte_mbuf *out[2 * WC_BURST_MAX];
	uint32_t k = 0;
	for (uint32_t i = 0; i < q->rx_n; i++) {
		uint32_t idx = q->rx_idx[i];
		if (q->tag[idx] == q->gen) {
			q->tag[idx] = TAG_FREE;
			out[k++] = q->by_index[idx];
		}
	}
	q->rx_n = 0;
	for (uint32_t i = 0; offers && i < q->offer_n; i++) {
		uint32_t idx = q->offer_idx[i];
		if (q->tag[idx] == TAG_OFFER) {
			q->tag[idx] = TAG_FREE;
			out[k++] = q->by_index[idx];
		}
	}
	if (offers)
		q->offer_n = 0;
	if (k > 0)
		rte_pktmbuf_free_bulk(out, k);
	if (++q->gen < GEN_FIRST)
		q->gen = GEN_FIRST;
}

/* Zero-copy: keep unsent offers (in order), top up to BURST_MAX, write every tx descriptor. */
static uint32_t zc_offer(struct wc_queue *q)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q->offer_n; i++)
		if (q->tag[q->offer_idx[i]] == TAG_OFFER)
			q->offer_idx[kept++] = q->offer_idx[i];
	uint32_t want = WC_BURST_MAX - kept;
	if (want > 0) {
		struct rte_mbuf *fresh[WC_BURST_MAX];
		uint32_t got = want;
		if (rte_pktmbuf_alloc_bulk(q->pool, fresh, want) != 0) {
			/* All or nothing failed: take what is there. */
			for (got = 0; got < want; got++)
				if ((fresh[got] = rte_pktmbuf_alloc(q->pool)) == NULL)
					break;
			q->stats[WC_QSTAT_NOMBUF]++;
		}
		for (uint32_t i = 0; i < got; i++) {
			uint32_t idx = (uint32_t)((uint8_t *)fresh[i]->buf_addr - q->region) / WC_ELT;
			q->tag[idx] = TAG_OFFER;
			q->offer_idx[kept++] = idx;
		}
	}
	q->offer_n = kept;
	for (uint32_t i = 0; i < kept; i++) {
		q->tx_desc[i].addr = q->region_off + q->offer_idx[i] * WC_ELT + RTE_PKTMBUF_HEADROOM;
		q->tx_desc[i].len = WC_FRAME_CAP;
	}
	return kept;
}

static uint32_t copy_offer(struct wc_queue *q)
{
	uint32_t base = q->copy_bufs + WC_BURST_MAX * WC_FRAME_CAP;
	for (uint32_t i = 0; i < WC_BURST_MAX; i++) {
		q->tx_desc[i].addr = base + i * WC_FRAME_CAP;
		q->tx_desc[i].len = WC_FRAME_CAP;
	}
	return WC_BURST_MAX;
}

WC_API int wc_queue_bind(int qid, uintptr_t mem, uint64_t mem_size, uint32_t rx_desc, uint32_t tx_desc,
			 uint32_t copy_bufs)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	const uint64_t arr = WC_BURST_MAX * sizeof(struct wc_desc);
	if (mem == 0 || mem_size == 0 || mem_size > (1ull << 32))
		return fail(WC_E_ARG, "queue %d: bad memory (%#lx, %llu bytes; at most 4 GiB)", qid, (unsigned long)mem,
			    (unsigned long long)mem_size);
	if (rx_desc % 4 || tx_desc % 4 || rx_desc + arr > mem_size || tx_desc + arr > mem_size)
		return fail(WC_E_ARG, "queue %d: descriptor arrays at %u and %u are unaligned or outside the memory", qid,
			    rx_desc, tx_desc);
	if ((rx_desc < tx_desc ? tx_desc - rx_desc : rx_desc - tx_desc) < arr)
		return fail(WC_E_ARG, "queue %d: descriptor arrays at %u and %u overlap", qid, rx_desc, tx_desc);
	if (!q->zero_copy && (uint64_t)copy_bufs + 2ull * WC_BURST_MAX * WC_FRAME_CAP > mem_size)
		return fail(WC_E_ARG, "queue %d: copy buffers at %u are outside the memory", qid, copy_bufs);
	if (q->zero_copy && (q->region < (uint8_t *)mem || q->region + q->region_bytes > (uint8_t *)mem + mem_size))
		return fail(WC_E_ARG, "queue %d: its zero-copy pool is not inside the memory being bound", qid);
	if (q->zero_copy && q->bound)
		release_lent(q, 1);
	q->mem = (uint8_t *)mem;
	q->mem_size = mem_size;
	q->rx_desc = (struct wc_desc *)(q->mem + rx_desc);
	q->tx_desc = (struct wc_desc *)(q->mem + tx_desc);
	q->copy_bufs = copy_bufs;
	if (q->zero_copy)
		q->region_off = mem_off(q, q->region);
	q->bound = 1;
	return (int)(q->zero_copy ? zc_offer(q) : copy_offer(q));
}

/*
 * A descriptor word, read once: Wasm memory is shared, so another instance
 * could rewrite it between the check and the use if the compiler re-read it.
 */
static inline uint32_t desc_word(const uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

/* Zero-copy: the data room a tx descriptor names, or -1; *off gets the frame's offset in it. */
static inline int64_t zc_room(const struct wc_queue *q, uint32_t addr, uint32_t len, uint32_t *off)
{
	uint64_t rel = (uint64_t)addr - q->region_off; /* wraps above region_bytes when addr is below the region */
	if (rel >= q->region_bytes)
		return -1;
	uint32_t idx = (uint32_t)(rel / WC_ELT);
	if (idx >= q->n)
		return -1;
	uint32_t o = (uint32_t)(rel - (uint64_t)idx * WC_ELT);
	if (len < WC_TX_MIN || len > WC_ELT - o)
		return -1;
	*off = o;
	return idx;
}

/* Hands k validated frames to the driver; frees and counts what it did not take; returns how many it took. */
static inline uint32_t send_frames(struct wc_queue *q, struct rte_mbuf **out, uint32_t k)
{
	uint16_t sent = k ? rte_eth_tx_burst(q->port, q->queue, out, (uint16_t)k) : 0;
	for (uint32_t i = 0; i < sent; i++)
		q->stats[WC_QSTAT_TX_BYTES] += out[i]->pkt_len;
	if (sent < k) {
		q->stats[WC_QSTAT_TX_DROPPED] += k - sent;
		rte_pktmbuf_free_bulk(out + sent, k - sent);
	}
	q->stats[WC_QSTAT_TX] += sent;
	return sent;
}

static uint32_t zc_transmit(struct wc_queue *q, uint32_t count)
{
	struct rte_mbuf *out[WC_BURST_MAX];
	uint32_t k = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t addr = desc_word(&q->tx_desc[i].addr), len = desc_word(&q->tx_desc[i].len), off;
		int64_t idx = zc_room(q, addr, len, &off);
		if (idx < 0 || (q->tag[idx] != TAG_OFFER && q->tag[idx] != q->gen)) {
			q->stats[WC_QSTAT_TX_INVALID]++;
			continue;
		}
		q->tag[idx] = TAG_FREE;
		struct rte_mbuf *m = q->by_index[idx];
		rte_pktmbuf_reset(m);
		m->data_off = (uint16_t)off;
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		out[k++] = m;
	}
	return send_frames(q, out, k);
}

static uint32_t zc_receive(struct wc_queue *q, uint32_t max)
{
	struct rte_mbuf *in[WC_BURST_MAX];
	uint16_t nb = rte_eth_rx_burst(q->port, q->queue, in, (uint16_t)max);
	uint32_t k = 0;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = in[i];
		uint64_t rel = (uint64_t)((uint8_t *)m->buf_addr - q->region);
		if (m->pool != q->pool || m->nb_segs != 1 || rel >= q->region_bytes) {
			q->stats[WC_QSTAT_RX_DROPPED]++;
			rte_pktmbuf_free(m);
			continue;
		}
		uint32_t idx = (uint32_t)(rel / WC_ELT);
		q->tag[idx] = q->gen;
		q->rx_idx[k] = idx;
		q->rx_desc[k].addr = mem_off(q, rte_pktmbuf_mtod(m, uint8_t *));
		q->rx_desc[k].len = m->data_len;
		q->stats[WC_QSTAT_RX_BYTES] += m->data_len;
		k++;
	}
	q->rx_n = k;
	return k;
}

static uint32_t copy_transmit(struct wc_queue *q, uint32_t count)
{
	struct rte_mbuf *out[WC_BURST_MAX];
	uint32_t k = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t addr = desc_word(&q->tx_desc[i].addr), len = desc_word(&q->tx_desc[i].len);
		if (len < WC_TX_MIN || len > WC_FRAME_CAP || addr + len > q->mem_size) {
			q->stats[WC_QSTAT_TX_INVALID]++;
			continue;
		}
		struct rte_mbuf *m = rte_pktmbuf_alloc(q->pool);
		if (m == NULL) {
			q->stats[WC_QSTAT_NOMBUF]++;
			q->stats[WC_QSTAT_TX_DROPPED] += count - i;
			break;
		}
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), q->mem + addr, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		out[k++] = m;
	}
	return send_frames(q, out, k);
}

static uint32_t copy_receive(struct wc_queue *q, uint32_t max)
{
	struct rte_mbuf *in[WC_BURST_MAX];
	uint16_t nb = rte_eth_rx_burst(q->port, q->queue, in, (uint16_t)max);
	uint32_t k = 0;
	for (uint16_t i = 0; i < nb; i++) {
		struct rte_mbuf *m = in[i];
		uint32_t len = m->pkt_len;
		if (len > WC_FRAME_CAP) {
			q->stats[WC_QSTAT_RX_DROPPED]++;
			continue;
		}
		uint32_t addr = q->copy_bufs + k * WC_FRAME_CAP;
		const void *data = rte_pktmbuf_read(m, 0, len, q->mem + addr);
		if (data != q->mem + addr)
			memcpy(q->mem + addr, data, len);
		q->rx_desc[k].addr = addr;
		q->rx_desc[k].len = len;
		q->stats[WC_QSTAT_RX_BYTES] += len;
		k++;
	}
	if (nb > 0)
		rte_pktmbuf_free_bulk(in, nb);
	return k;
}

WC_API int32_t wc_burst(int qid, uint32_t tx_count, uint32_t rx_max)
{
	struct wc_queue *q = (unsigned)qid < WC_MAX_QIDS ? queues[qid] : NULL;
	if (q == NULL)
		return fail(WC_E_QUEUE, "queue id %d does not exist", qid);
	if (!q->bound)
		return fail(WC_E_STATE, "queue %d: burst before bind", qid);
	if (!__atomic_load_n(&ports[q->port].started, __ATOMIC_ACQUIRE))
		return fail(WC_E_STATE, "queue %d: burst while port %u is stopped", qid, q->port);
	q->stats[WC_QSTAT_BURSTS]++;
	if (tx_count > WC_BURST_MAX) {
		q->stats[WC_QSTAT_TX_INVALID] += tx_count - WC_BURST_MAX;
		tx_count = WC_BURST_MAX;
	}
	if (rx_max > WC_BURST_MAX)
		rx_max = WC_BURST_MAX;
	uint32_t sent, rx, avail;
	if (q->zero_copy) {
		sent = zc_transmit(q, tx_count);
		/* Received frames Wasm did not send back are done with. */
		release_lent(q, 0);
		rx = rx_max ? zc_receive(q, rx_max) : 0;
		avail = zc_offer(q);
	} else {
		sent = copy_transmit(q, tx_count);
		rx = rx_max ? copy_receive(q, rx_max) : 0;
		avail = copy_offer(q);
	}
	q->stats[WC_QSTAT_RX] += rx;
	q->stats[WC_QSTAT_EMPTY] += (rx | tx_count) == 0;
	return (int32_t)(rx | sent << 8 | avail << 16);
}

/* ---- rx interrupts ------------------------------------------------------------ */

WC_API int wc_queue_intr_mode(int qid)
{
	struct wc_queue *q = get_queue(qid);
	return q == NULL ? WC_E_QUEUE : q->intr_mode;
}

WC_API int wc_queue_intr_fd(int qid)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	if (q->intr_mode == WC_INTR_NONE)
		return fail(WC_E_STATE, "queue %d: port %u queue %u has no rx interrupt", qid, q->port, q->queue);
	return q->intr_fd;
}

WC_API int wc_queue_intr_arm(int qid)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	if (q->intr_mode == WC_INTR_NONE)
		return fail(WC_E_STATE, "queue %d: port %u queue %u has no rx interrupt", qid, q->port, q->queue);
	if (q->intr_mode == WC_INTR_LEVEL)
		return WC_OK;
	int r = rte_eth_dev_rx_intr_enable(q->port, q->queue);
	if (r != 0)
		return fail(WC_E_PORT, "port %u queue %u: rte_eth_dev_rx_intr_enable: %s", q->port, q->queue, rte_reason(r));
	return WC_OK;
}

WC_API int wc_queue_intr_disarm(int qid)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	if (q->intr_mode != WC_INTR_ARMED)
		return WC_OK;
	int r = rte_eth_dev_rx_intr_disable(q->port, q->queue);
	/* An interrupt that fired leaves the eventfd readable: empty it, or the next sleep would end at once. */
	struct pollfd pfd = { .fd = q->intr_fd, .events = POLLIN };
	uint64_t counter;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) && read(q->intr_fd, &counter, sizeof(counter)) < 0 &&
	    errno != EAGAIN)
		return fail(WC_E_PORT, "port %u queue %u: reading the rx interrupt eventfd: %s", q->port, q->queue,
			    strerror(errno));
	if (r != 0)
		return fail(WC_E_PORT, "port %u queue %u: rte_eth_dev_rx_intr_disable: %s", q->port, q->queue, rte_reason(r));
	return WC_OK;
}

WC_API int wc_queue_flush(int qid)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	if (q->zero_copy) {
		release_lent(q, 1);
		if (q->bound)
			for (uint32_t i = 0; i < WC_BURST_MAX; i++)
				q->tx_desc[i].len = 0;
	}
	return WC_OK;
}

WC_API int wc_queue_stats(int qid, double *out, uint32_t n)
{
	struct wc_queue *q = get_queue(qid);
	if (q == NULL)
		return WC_E_QUEUE;
	int r = check_out(out, n, WC_QSTAT_COUNT, __func__);
	if (r < 0)
		return r;
	for (int i = 0; i < WC_QSTAT_COUNT; i++)
		out[i] = (double)q->stats[i];
	out[WC_QSTAT_POOL_AVAIL] = rte_mempool_avail_count(q->pool);
	out[WC_QSTAT_POOL_IN_USE] = rte_mempool_in_use_count(q->pool);
	out[WC_QSTAT_HELD] = q->zero_copy ? q->rx_n + q->offer_n : 0;
	return WC_OK;
}
