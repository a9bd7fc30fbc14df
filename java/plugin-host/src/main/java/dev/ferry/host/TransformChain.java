package dev.ferry.host;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;
import org.apache.maven.artifact.versioning.VersionRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A connector's transforms with their predicates, built from its config the way Kafka's
 * ConnectorConfig.transformationStages does: transforms.NAME.type (and .plugin.version) loaded
 * through the connector's loader, configured with the transforms.NAME. keys less predicate and
 * negate; predicates.NAME.type likewise; each runs with its own loader as context.
 */
final class TransformChain<R extends ConnectRecord<R>> implements AutoCloseable {
    private final List<Stage<R>> stages;

    private String failedClass;

    private TransformChain(List<Stage<R>> stages) {
        this.stages = stages;
    }

    static <R extends ConnectRecord<R>> TransformChain<R> build(
            Plugins plugins, AbstractConfig config, ClassLoader connectorLoader) {
        List<Stage<R>> stages = new ArrayList<>();
        try {
            for (String alias : config.getList("transforms")) {
                String prefix = "transforms." + alias + ".";
                Transformation<R> transformation = newPlugin(plugins, config, prefix, connectorLoader);
                Map<String, Object> settings = config.originalsWithPrefix(prefix);
                Object predicateAlias = settings.remove("predicate");
                Object negate = settings.remove("negate");
                configure(transformation, () -> transformation.configure(settings));
                Predicate<R> predicate = null;
                if (predicateAlias != null) {
                    String predicatePrefix = "predicates." + predicateAlias + ".";
                    Predicate<R> p = newPlugin(plugins, config, predicatePrefix, connectorLoader);
                    configure(p, () -> p.configure(config.originalsWithPrefix(predicatePrefix)));
                    predicate = p;
                }
                stages.add(new Stage<>(transformation, predicate,
                        negate != null && Boolean.parseBoolean(negate.toString())));
            }
        } catch (RuntimeException e) {
            new TransformChain<>(stages).close();
            throw e;
        }
        return new TransformChain<>(stages);
    }

    @SuppressWarnings("unchecked")
    private static <T> T newPlugin(Plugins plugins, AbstractConfig config, String prefix, ClassLoader connectorLoader) {
        String className = config.getClass(prefix + "type").getName();
        Object version = config.originals().get(prefix + "plugin.version");
        try {
            VersionRange range = Versions.range(version == null ? null : version.toString(), null);
            return (T) plugins.newPlugin(className, range, connectorLoader);
        } catch (ClassNotFoundException e) {
            throw new ConnectException("Failed to find " + className + " for " + prefix + "type", e);
        }
    }

    private static void configure(Object plugin, Runnable configure) {
        try {
            Loaders.run(plugin.getClass().getClassLoader(), configure::run);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ConnectException(e);
        }
    }

    /** The record after every stage, or null when one dropped it. */
    R apply(R record) throws Exception {
        for (Stage<R> stage : stages) {
            if (record == null) {
                return null;
            }
            try {
                record = stage.apply(record);
            } catch (Exception e) {
                failedClass = stage.transformation().getClass().getName();
                throw e;
            }
        }
        return record;
    }

    /** The class of the transform (or predicate's transform) that threw last, for error reports. */
    String failedClass() {
        return failedClass;
    }

    @Override
    public void close() {
        for (Stage<R> stage : stages) {
            stage.close();
        }
    }

    private record Stage<R extends ConnectRecord<R>>(Transformation<R> transformation, Predicate<R> predicate,
                                                      boolean negate) {
        R apply(R record) throws Exception {
            if (predicate != null) {
                boolean matches = Loaders.with(predicate.getClass().getClassLoader(), () -> predicate.test(record));
                if (matches == negate) {
                    return record;
                }
            }
            return Loaders.with(transformation.getClass().getClassLoader(), () -> transformation.apply(record));
        }

        void close() {
            Quietly.close(transformation::close);
            if (predicate != null) {
                Quietly.close(predicate::close);
            }
        }
    }
}
