/*
 * wcdpdk: the C shim between the wasmcached host (koffi) and DPDK 22.11.
 *
 * Plain functions over plain integers and caller-owned arrays, so koffi can
 * call them without struct declarations. Everything that can fail returns a
 * negative WC_E_* code and leaves a message for wc_last_error(); nothing
 * exits the process. The design is in docs/dpdk.md; the descriptor arrays
 * are those of docs/net-device.md.
 *
 * Threads: EAL init, port and queue setup, start, stop and close belong to
 * one thread (the host's main thread). A queue's burst, bind and flush belong
 * to the thread that polls it (one worker per queue).
 */
#ifndef WCDPDK_H
#define WCDPDK_H

#include <stdint.h>

#define WC_API __attribute__((visibility("default")))

/* Descriptors per array and frames per burst (docs/net-device.md). */
#define WC_BURST_MAX 64
/* Bytes of one copying buffer (docs/net-device.md FRAME_CAP). */
#define WC_FRAME_CAP 2048
/* Shortest frame accepted for transmission: an Ethernet header. */
#define WC_TX_MIN 14
/* Most queues one port may have here. */
#define WC_MAX_QUEUES 64
/* Most queues in the process (all ports). */
#define WC_MAX_QIDS 256

/* Return codes. 0 and positive values are successes. */
enum {
	WC_OK = 0,
	WC_E_ALREADY = -1,    /* EAL already initialised (or a failed init left it unusable) */
	WC_E_NOT_INIT = -2,   /* EAL not initialised yet */
	WC_E_REFUSED_ARG = -3,/* an EAL argument that would end the process (--help, ...) */
	WC_E_EAL_ARGS = -4,   /* EAL rejected its arguments */
	WC_E_EAL = -5,        /* rte_eal_init failed for another reason */
	WC_E_NO_PORTS = -6,   /* no ethdev port (a vdev that failed to probe still lets EAL start) */
	WC_E_PORT = -7,       /* no such port, or a port operation failed */
	WC_E_CONFIG = -8,     /* rte_eth_dev_configure or its checks failed */
	WC_E_QUEUE = -9,      /* queue setup failed, or no such queue */
	WC_E_POOL = -10,      /* mbuf pool creation failed */
	WC_E_EXTMEM = -11,    /* the zero-copy region could not be registered */
	WC_E_START = -12,     /* rte_eth_dev_start failed */
	WC_E_ARG = -13,       /* an argument out of range (alignment, bounds, sizes) */
	WC_E_NOMEM = -14,     /* out of memory */
	WC_E_STATE = -15,     /* wrong order: burst before bind, setup after start, ... */
};

/* Fields of wc_port_info's uint32_t array. */
enum {
	WC_PINFO_MAX_RX_QUEUES,
	WC_PINFO_MAX_TX_QUEUES,
	WC_PINFO_RSS_OFFLOADS_LO,  /* flow_type_rss_offloads, low and high 32 bits */
	WC_PINFO_RSS_OFFLOADS_HI,
	WC_PINFO_RETA_SIZE,
	WC_PINFO_HASH_KEY_SIZE,
	WC_PINFO_MTU,
	WC_PINFO_MIN_MTU,
	WC_PINFO_MAX_MTU,
	WC_PINFO_LINK_UP,
	WC_PINFO_LINK_SPEED,       /* Mb/s; 0 when unknown */
	WC_PINFO_SOCKET,           /* NUMA socket, 0xffffffff when any */
	WC_PINFO_RX_DESC_MAX,
	WC_PINFO_TX_DESC_MAX,
	WC_PINFO_COUNT
};

/* Fields of wc_port_stats's double array (rte_eth_stats). */
enum {
	WC_PSTAT_IPACKETS,
	WC_PSTAT_OPACKETS,
	WC_PSTAT_IBYTES,
	WC_PSTAT_OBYTES,
	WC_PSTAT_IMISSED,
	WC_PSTAT_IERRORS,
	WC_PSTAT_OERRORS,
	WC_PSTAT_RX_NOMBUF,
	WC_PSTAT_COUNT
};

/* Fields of wc_queue_stats's double array: the shim's own counters per queue. */
enum {
	WC_QSTAT_BURSTS,      /* wc_burst calls */
	WC_QSTAT_EMPTY,       /* wc_burst calls that had nothing to send and received nothing */
	WC_QSTAT_RX,          /* frames handed to Wasm */
	WC_QSTAT_RX_BYTES,
	WC_QSTAT_TX,          /* frames the driver accepted */
	WC_QSTAT_TX_BYTES,
	WC_QSTAT_TX_INVALID,  /* tx descriptors rejected by validation, never sent */
	WC_QSTAT_TX_DROPPED,  /* valid frames not sent: the driver's ring was full or no mbuf for a copy */
	WC_QSTAT_RX_DROPPED,  /* frames received but not handed to Wasm (too long, chained, foreign) */
	WC_QSTAT_NOMBUF,      /* mbuf allocations that failed (tx offers, copies) */
	WC_QSTAT_POOL_SIZE,   /* mbufs in the queue's pool */
	WC_QSTAT_POOL_AVAIL,  /* rte_mempool_avail_count */
	WC_QSTAT_POOL_IN_USE, /* rte_mempool_in_use_count */
	WC_QSTAT_HELD,        /* mbufs lent to Wasm right now (last rx + tx offers) */
	WC_QSTAT_COUNT
};

/*
 * How a queue's worker can sleep until a frame arrives (wc_queue_intr_mode).
 * The port is configured with rx queue interrupts (intr_conf.rxq) when the
 * PMD accepts them; at start each queue is probed:
 *  WC_INTR_NONE   no usable interrupt: the worker backs off by sleeping;
 *  WC_INTR_ARMED  an eventfd that fires once armed (a NIC with vfio): arm,
 *                 poll once more, sleep in poll() on the fd, disarm (which
 *                 also reads the eventfd's counter);
 *  WC_INTR_LEVEL  the queue's own device fd, readable while a frame waits
 *                 (net_tap's tun fd: the PMD cannot arm anything, and need
 *                 not): sleep in poll() on it; arm and disarm do nothing.
 */
enum { WC_INTR_NONE = 0, WC_INTR_ARMED = 1, WC_INTR_LEVEL = 2 };

/* wc_queue_setup flags. */
#define WC_Q_ZERO_COPY 1u

/* The message of the last failure on this thread ("" if none). */
WC_API const char *wc_last_error(void);
/* The WC_E_* name of a code ("WC_E_PORT"), for messages. */
WC_API const char *wc_code_name(int code);

/*
 * rte_eal_init once per process, with argv[0] supplied here (pass only the
 * EAL arguments); after a failure EAL cannot be retried (WC_E_ALREADY). Refuses arguments that make EAL call exit() (-h, --help,
 * --log-level=help, abbreviations included) with WC_E_REFUSED_ARG before
 * EAL sees anything. Restores the calling thread's CPU affinity afterwards
 * (EAL pins it to the main lcore and every thread started later would
 * inherit that). Returns the number of available ports (>= 0) or a code.
 */
WC_API int wc_eal_init(int argc, const char *const *argv);
/* 1 after a successful wc_eal_init. */
WC_API int wc_eal_ready(void);
/* rte_eal_cleanup: after every port is closed, before the process exits. */
WC_API int wc_eal_cleanup(void);
/* rte_thread_register for a polling thread (gives it an lcore id and mempool caches); the lcore id or a code. */
WC_API int wc_thread_register(void);
WC_API void wc_thread_unregister(void);
/* The CPUs of the lcores EAL enabled (-l/--lcores), main lcore first, into
 * out[0..n); returns how many there are (UINT32_MAX for an lcore without a
 * single CPU). */
WC_API int wc_lcore_cpus(uint32_t *out, uint32_t n);
/* Pins the calling thread to one CPU (a data-plane worker to its lcore's). */
WC_API int wc_thread_pin(uint32_t cpu);

/* Available ports; WC_E_NO_PORTS when there are none. */
WC_API int wc_port_count(void);
/* Fills out[WC_PINFO_COUNT] (n must be WC_PINFO_COUNT). */
WC_API int wc_port_info(uint16_t port, uint32_t *out, uint32_t n);
WC_API int wc_port_mac(uint16_t port, uint8_t *out6);
/* The port's device name ("net_null0") into out (NUL-terminated); its length. */
WC_API int wc_port_name(uint16_t port, char *out, uint32_t len);
/* The driver's name ("net_null"); "" for a bad port. */
WC_API const char *wc_port_driver(uint16_t port);

/*
 * rte_eth_dev_configure with n_queues rx/tx queue pairs of the given ring
 * sizes (0 = driver default, adjusted to the driver's limits). With more than
 * one queue, RSS over IP/TCP/UDP is enabled where the port supports it.
 * Returns 1 if RSS is on, 0 if not (one queue, or unsupported), or a code.
 * Rx queue interrupts are asked for too, and dropped if the PMD refuses them
 * here or at start (WC_INTR_*).
 */
WC_API int wc_port_configure(uint16_t port, uint16_t n_queues, uint16_t rx_ring, uint16_t tx_ring);

/*
 * Bytes of Wasm memory a zero-copy pool of n mbufs needs (a multiple of the
 * page size); 0 if n is out of range.
 */
WC_API uint64_t wc_pool_bytes(uint32_t n_mbufs);
/* Capacity of a tx buffer offered to Wasm (data room after the headroom). */
WC_API uint32_t wc_tx_room(void);

/*
 * Sets up rx/tx queue `queue` of a configured port with its own pool of
 * n_mbufs mbufs. With WC_Q_ZERO_COPY the pool's data rooms are the
 * wc_pool_bytes(n_mbufs) bytes at pool_addr (page-aligned, inside the shared
 * Wasm memory), registered with rte_extmem_register; otherwise a normal pool
 * in DPDK memory (pool_addr ignored). Returns a queue id (qid >= 0) for
 * bind/burst/stats, or a code.
 */
WC_API int wc_queue_setup(uint16_t port, uint16_t queue, uintptr_t pool_addr, uint64_t pool_bytes,
			  uint32_t n_mbufs, uint32_t flags);

WC_API int wc_port_start(uint16_t port);
/* rte_eth_promiscuous_enable/disable. */
WC_API int wc_port_promiscuous(uint16_t port, int on);
/* Fills out[WC_PSTAT_COUNT] (n must be WC_PSTAT_COUNT). */
WC_API int wc_port_stats(uint16_t port, double *out, uint32_t n);
/* Stops the port (stop polling its queues first). */
WC_API int wc_port_stop(uint16_t port);
/* Stops (if needed) and closes the port, returns every held mbuf, frees its pools and unregisters their memory. */
WC_API int wc_port_close(uint16_t port);

/*
 * Binds queue `qid` to the descriptor arrays of a device region
 * (docs/net-device.md) in the Wasm memory at `mem` (mem_size bytes):
 * rx_desc and tx_desc are offsets of BURST_MAX-entry arrays; copy_bufs is the
 * offset of 2 * BURST_MAX buffers of FRAME_CAP bytes (rx then tx) that the
 * copying mode uses (ignored in zero-copy). In zero-copy the pool must lie
 * inside [mem, mem + mem_size). Returns the number of tx buffers offered.
 */
WC_API int wc_queue_bind(int qid, uintptr_t mem, uint64_t mem_size, uint32_t rx_desc, uint32_t tx_desc,
			 uint32_t copy_bufs);

/*
 * One burst, both directions:
 *  1. the first tx_count tx descriptors (written by Wasm) are validated and
 *     sent: zero-copy, each must lie inside one data room of an mbuf lent to
 *     Wasm by the previous call (a tx offer or a received frame), each mbuf
 *     used once; copying, each must lie inside the bound memory. Rejected
 *     ones are counted (WC_QSTAT_TX_INVALID) and never reach the driver.
 *     tx_count above BURST_MAX is clamped and the excess counted invalid.
 *  2. received mbufs lent by the previous call and not sent are freed;
 *  3. up to rx_max (<= BURST_MAX) frames are received into rx_desc: their
 *     mbufs' data (zero-copy) or copies in the rx copy buffers;
 *  4. tx_desc is refilled with empty buffers: zero-copy, mbuf data rooms
 *     (unused offers are kept); copying, the tx copy buffers.
 * Returns rx | sent << 8 | tx_avail << 16, or a negative code.
 */
WC_API int32_t wc_burst(int qid, uint32_t tx_count, uint32_t rx_max);

/* The queue's WC_INTR_* mode (decided when the port started), or a code. */
WC_API int wc_queue_intr_mode(int qid);
/* The fd to poll() for POLLIN while idle; WC_E_STATE when the mode is WC_INTR_NONE. */
WC_API int wc_queue_intr_fd(int qid);
/*
 * Arms the queue's rx interrupt (rte_eth_dev_rx_intr_enable) before the
 * worker's last poll and its sleep; nothing to do for WC_INTR_LEVEL.
 * WC_E_STATE for WC_INTR_NONE; WC_E_PORT if the PMD refused (the worker
 * then backs off by sleeping instead).
 */
WC_API int wc_queue_intr_arm(int qid);
/* After the sleep: disarms (rte_eth_dev_rx_intr_disable) and empties the eventfd; nothing for WC_INTR_LEVEL. */
WC_API int wc_queue_intr_disarm(int qid);

/* Returns every mbuf lent to Wasm to the pool (after the last burst, before stats for a leak check). */
WC_API int wc_queue_flush(int qid);
/* Fills out[WC_QSTAT_COUNT] (n must be WC_QSTAT_COUNT). */
WC_API int wc_queue_stats(int qid, double *out, uint32_t n);

#endif
