package dev.ferry.host;

import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.ConnectorConfig;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.Supplier;

/**
 * A task's key, value and header converters and its transform chain, chosen as Kafka's Worker
 * chooses them: the connector config's converter if it names one, else the worker's. Built with
 * the connector's loader as the thread's context loader.
 */
final class TaskPipeline<R extends ConnectRecord<R>> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskPipeline.class);

    final Converter keyConverter;
    final Converter valueConverter;
    final HeaderConverter headerConverter;
    final TransformChain<R> transforms;

    private TaskPipeline(Converter key, Converter value, HeaderConverter header, TransformChain<R> transforms) {
        this.keyConverter = key;
        this.valueConverter = value;
        this.headerConverter = header;
        this.transforms = transforms;
    }

    static <R extends ConnectRecord<R>> TaskPipeline<R> build(Plugins plugins, Map<String, String> connectorConfig,
                                                              Map<String, String> workerConfig, ClassLoader loader,
                                                              String taskName) {
        ConnectorConfig config = new ConnectorConfig(plugins, connectorConfig);
        // Parsed only when the connector config leaves a converter to the worker.
        Supplier<WorkerDefaults> worker = memoize(() -> new WorkerDefaults(workerConfig));
        Converter key = null;
        Converter value = null;
        HeaderConverter header = null;
        try {
            key = converter(plugins, config, worker, "key.converter", taskName);
            value = converter(plugins, config, worker, "value.converter", taskName);
            header = plugins.newHeaderConverter(config, "header.converter", "header.converter.plugin.version");
            if (header == null) {
                header = plugins.newHeaderConverter(worker.get(), "header.converter", "header.converter.plugin.version");
            }
            TransformChain<R> transforms = TransformChain.build(plugins, config, loader);
            return new TaskPipeline<>(key, value, header, transforms);
        } catch (RuntimeException e) {
            closeAll(key, value, header);
            throw e;
        }
    }

    private static Converter converter(Plugins plugins, ConnectorConfig config, Supplier<WorkerDefaults> worker,
                                       String property, String taskName) {
        String version = property + ".plugin.version";
        Converter converter = plugins.newConverter(config, property, version);
        if (converter != null) {
            log.info("Set up the {} {} for task {} using the connector config", property, converter.getClass(), taskName);
            return converter;
        }
        converter = plugins.newConverter(worker.get(), property, version);
        if (converter == null) {
            throw new ConnectException("Neither the connector config nor the worker config sets " + property);
        }
        log.info("Set up the {} {} for task {} using the worker config", property, converter.getClass(), taskName);
        return converter;
    }

    private static <T> Supplier<T> memoize(Supplier<T> make) {
        Object[] made = new Object[1];
        return () -> {
            if (made[0] == null) {
                made[0] = make.get();
            }
            @SuppressWarnings("unchecked")
            T value = (T) made[0];
            return value;
        };
    }

    private static void closeAll(Converter key, Converter value, HeaderConverter header) {
        if (key != null) {
            Quietly.close(key::close);
        }
        if (value != null) {
            Quietly.close(value::close);
        }
        if (header != null) {
            Quietly.close(header::close);
        }
    }

    @Override
    public void close() {
        transforms.close();
        closeAll(keyConverter, valueConverter, headerConverter);
    }
}
