// A warm JVM for Kafka's own command-line tools: scripts/kafka start launches it beside the broker, and
// scripts/kafka topic / consume / java run TopicCommand, GetOffsetShell and ConsoleConsumer in it instead of
// starting a JVM for each call (about 0.9 s of one core each on 2 cores, three or four calls per test).
// The tools are the same classes, called through their main(), with the same arguments.
//
//   java -cp '<kafka libs>/*' scripts/lib/KafkaTools.java PORT_FILE
//
// It listens on an ephemeral loopback port and writes the port to PORT_FILE once it accepts requests (until then
// scripts/kafka starts a JVM per call, as it always did). One request per connection, fields NUL-terminated:
//   ARGC, STDOUT_FILE, STDERR_FILE, MAIN_CLASS, ARG...     (ARGC counts MAIN_CLASS and its arguments)
// The tool's System.out and System.err go to the two files; the answer is its exit status and a newline.
// Requests run one at a time: the tools keep static state (ConsoleConsumer counts messages in a static field,
// which its run() sets to 0 first) and System.out is global. A caller that goes away before its answer (killed by a
// timeout) ends this JVM, so that no later call waits behind a tool nobody reads: scripts/kafka then starts a JVM
// per call again.
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

public final class KafkaTools {
  // Only tools that read no relative paths and no stdin: this JVM's working directory is not the caller's.
  static final Set<String> TOOLS = Set.of("org.apache.kafka.tools.TopicCommand",
      "org.apache.kafka.tools.GetOffsetShell", "org.apache.kafka.tools.consumer.ConsoleConsumer");

  static final PrintStream log = System.err;  // tools.log, whatever a running tool's System.err is

  // The first status a tool passed to Kafka's Exit.exit/halt during the current request, or null.
  static volatile Integer exitStatus;

  // Thrown by a failing Exit.exit (status != 0): the tool's code after such a call (a usage error found in option
  // checks, say) must not go on to do the work, as it would not in a JVM that exits. An Error, so that only a
  // catch (Throwable) stops it, and TopicCommand's then returns 1 anyway.
  static final class ExitFailed extends Error {
    ExitFailed(int status) {
      super("the tool exits with status " + status + " here (KafkaTools stops it at Exit.exit)", null, false, false);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) throw new IllegalArgumentException("usage: KafkaTools PORT_FILE");
    routeExitsHere();
    try (ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress())) {
      Path portFile = Path.of(args[0]);
      Path tmp = Path.of(args[0] + ".tmp");
      Files.writeString(tmp, server.getLocalPort() + "\n");
      Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      for (;;) {
        try (Socket s = server.accept()) {
          serve(s, portFile);
        } catch (Throwable e) {  // one bad request (or a tool's linkage error) must not end the JVM
          log.println("KafkaTools: request failed: " + e);
        }
      }
    }
  }

  // Kafka 4.x has org.apache.kafka.common.utils.internals.Exit, 3.x org.apache.kafka.common.utils.Exit (the Scala
  // tools' kafka.utils.Exit delegates to it). An exit records its first status; exit(0) then returns, since
  // TopicCommand calls Exit.exit(0) inside a catch (Throwable) that turns whatever it catches into status 1 (the
  // tools only close and return after a successful exit), and a failing exit throws ExitFailed. Shutdown hooks are
  // not registered: this JVM outlives every tool run (ConsoleConsumer's hook would wait on a latch of a consumer
  // long closed).
  static void routeExitsHere() throws ReflectiveOperationException {
    int found = 0;
    for (String name : List.of("org.apache.kafka.common.utils.internals.Exit", "org.apache.kafka.common.utils.Exit")) {
      Class<?> exit;
      try {
        exit = Class.forName(name);
      } catch (ClassNotFoundException e) {
        continue;
      }
      Class<?> procedure = Class.forName(name + "$Procedure");
      Class<?> hookAdder = Class.forName(name + "$ShutdownHookAdder");
      Object record = proxy(procedure, a -> {
        int status = (Integer) a[0];
        if (exitStatus == null) exitStatus = status;
        if (status != 0) throw new ExitFailed(status);
        return null;
      });
      exit.getMethod("setExitProcedure", procedure).invoke(null, record);
      exit.getMethod("setHaltProcedure", procedure).invoke(null, record);
      exit.getMethod("setShutdownHookAdder", hookAdder).invoke(null, proxy(hookAdder, a -> null));
      ++found;
    }
    if (found == 0) throw new ClassNotFoundException("Kafka's Exit class (kafka-clients) is not on the classpath");
  }

  interface Body {
    Object call(Object[] args);
  }

  static Object proxy(Class<?> iface, Body body) {
    return Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface}, (self, method, a) -> {
      switch (method.getName()) {
        case "hashCode": return System.identityHashCode(self);
        case "equals": return self == a[0];
        case "toString": return "KafkaTools." + iface.getSimpleName();
        default: return body.call(a);
      }
    });
  }

  static void serve(Socket s, Path portFile) throws IOException {
    s.setSoTimeout(10000);  // a request is written at once; a silent connection must not hold the queue
    InputStream in = s.getInputStream();
    int argc = Integer.parseInt(field(in));
    if (argc < 1 || argc > 1000) throw new IOException("bad argument count " + argc);
    String outFile = field(in), errFile = field(in);
    List<String> argv = new ArrayList<>();
    for (int i = 0; i < argc; ++i) argv.add(field(in));
    s.setSoTimeout(0);
    AtomicBoolean answered = watchCaller(in, portFile);
    int status = run(argv, outFile, errFile);
    answered.set(true);
    OutputStream out = s.getOutputStream();
    out.write(((status & 0xff) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  // The caller sends nothing more and closes only after reading the status, so the end of its stream before that
  // means it is gone (killed, say, by a test's timeout while a consumer waited).
  static AtomicBoolean watchCaller(InputStream in, Path portFile) {
    AtomicBoolean answered = new AtomicBoolean(false);
    Thread t = new Thread(() -> {
      try {
        if (in.read() >= 0) return;  // not in the protocol; leave it to the request
      } catch (IOException e) {
        return;  // our side closed the socket: the request was answered
      }
      if (answered.get()) return;
      try {
        Files.deleteIfExists(portFile);
      } catch (IOException ignored) {
      }
      log.println("KafkaTools: a caller went away before its answer; exiting so nobody waits behind it");
      Runtime.getRuntime().halt(3);
    }, "caller-watch");
    t.setDaemon(true);
    t.start();
    return answered;
  }

  static String field(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (;;) {
      int c = in.read();
      if (c < 0) throw new IOException("request ended inside a field");
      if (c == 0) return b.toString(StandardCharsets.UTF_8);
      b.write(c);
    }
  }

  static int run(List<String> argv, String outFile, String errFile) throws IOException {
    PrintStream savedOut = System.out, savedErr = System.err;
    try (PrintStream out = new PrintStream(new FileOutputStream(outFile), true, StandardCharsets.UTF_8);
         PrintStream err = new PrintStream(new FileOutputStream(errFile), true, StandardCharsets.UTF_8)) {
      if (!TOOLS.contains(argv.get(0))) {
        err.println("KafkaTools: " + argv.get(0) + " is not run here (only " + TOOLS + ")");
        return 2;
      }
      System.setOut(out);
      System.setErr(err);
      exitStatus = null;
      int status = 0;
      try {
        Class<?> tool = Class.forName(argv.get(0));
        String[] rest = argv.subList(1, argv.size()).toArray(new String[0]);
        tool.getMethod("main", String[].class).invoke(null, (Object) rest);
      } catch (InvocationTargetException e) {
        if (!(e.getCause() instanceof ExitFailed)) e.getCause().printStackTrace(err);
        status = 1;
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        e.printStackTrace(err);
        status = 1;
      } finally {
        System.setOut(savedOut);
        System.setErr(savedErr);
      }
      return exitStatus != null ? exitStatus : status;
    }
  }
}
